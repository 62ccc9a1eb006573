package org.carbonledger.workload;

import org.carbonledger.shared.web.PageRequest;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.internal.ModelProfiles;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Registers and finds a tenant's workloads. */
@Service
public class Workloads {

    private final JdbcClient jdbc;
    private final ModelProfiles models;
    private final GridRegions regions;
    private final Clock clock;

    Workloads(JdbcClient jdbc, ModelProfiles models, GridRegions regions, Clock clock) {
        this.jdbc = jdbc;
        this.models = models;
        this.regions = regions;
        this.clock = clock;
    }

    /** What a tenant asks for; {@code modelParamsBillion} and {@code pue} may be null (then looked up / defaulted). */
    /** {@code servingSince} null means from the registration on. */
    public record Registration(String name, String model, BigDecimal modelParamsBillion, String gpuModel,
            int gpuCount, String region, BigDecimal pue, java.time.Instant servingSince) {
    }

    @Transactional
    public Workload register(UUID tenantId, Registration r) {
        String region = regions.canonical(r.region()).orElseThrow(() -> ApiProblem.invalid("region",
                "no grid emission factor is known for region '" + r.region()
                        + "'; use a cloud region code such as us-east-1, eastus or europe-west4"));
        BigDecimal params = r.modelParamsBillion() != null ? r.modelParamsBillion()
                : models.paramsBillion(r.model()).orElseThrow(() -> ApiProblem.invalid("modelParamsBillion",
                        "model '" + r.model() + "' is not in the model catalog: give modelParamsBillion"));
        java.time.Instant now = clock.instant();
        if (r.servingSince() != null && r.servingSince().isAfter(now)) {
            throw ApiProblem.invalid("servingSince", "servingSince lies in the future");
        }
        Workload w = new Workload(UUID.randomUUID(), tenantId, r.name(), r.model(), params, r.gpuModel(),
                r.gpuCount(), region, r.pue(), now, r.servingSince() != null ? r.servingSince() : now);
        try {
            jdbc.sql("""
                    insert into workloads (id, tenant_id, name, model, model_params_billion, gpu_model, gpu_count,
                                           region, pue, created_at, serving_since)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(w.id(), tenantId, w.name(), w.model(), w.modelParamsBillion(), w.gpuModel(),
                            w.gpuCount(), w.region(), w.pue(), Timestamp.from(w.createdAt()),
                            Timestamp.from(w.servingSince()))
                    .update();
        } catch (DuplicateKeyException e) {
            throw new ApiProblem(org.springframework.http.HttpStatus.CONFLICT, "Conflict",
                    "a workload named '" + r.name() + "' already exists", "name");
        }
        return w;
    }

    /** A tenant's workload; empty when it does not exist or belongs to another tenant. */
    public Optional<Workload> find(UUID tenantId, UUID workloadId) {
        return jdbc.sql("select * from workloads where id = ? and tenant_id = ?")
                .params(workloadId, tenantId)
                .query(Workloads::map)
                .optional();
    }

    /**
     * The tenant's workloads among {@code workloadIds}, by id, with one query; ids that do not exist or belong to
     * another tenant are absent.
     */
    public java.util.Map<UUID, Workload> findAll(UUID tenantId, java.util.Collection<UUID> workloadIds) {
        if (workloadIds.isEmpty()) {
            return java.util.Map.of();
        }
        java.util.Map<UUID, Workload> found = new java.util.HashMap<>();
        jdbc.sql("select * from workloads where id = any(?) and tenant_id = ?")
                .params(workloadIds.toArray(UUID[]::new), tenantId)
                .query(Workloads::map)
                .list()
                .forEach(w -> found.put(w.id(), w));
        return found;
    }

    /** A page of the tenant's workloads, oldest first. */
    public PageRequest.Page<Workload> list(UUID tenantId, PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from workloads where tenant_id = ? and (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(tenantId, java.sql.Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(Workloads::map)
                .list(), w -> new PageRequest.Cursor(w.createdAt(), w.id()));
    }

    private static Workload map(ResultSet rs, int n) throws SQLException {
        return new Workload(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("name"), rs.getString("model"), rs.getBigDecimal("model_params_billion"),
                rs.getString("gpu_model"), rs.getInt("gpu_count"), rs.getString("region"), rs.getBigDecimal("pue"),
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("serving_since").toInstant());
    }
}
