package org.carbonledger.offsets;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The offset product catalog: one product per registry project. */
@Service
public class OffsetProducts {

    private final JdbcClient jdbc;
    private final Clock clock;

    OffsetProducts(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** @param price the list price per tonne, or null when the product is not priced by product */
    public record NewProduct(OffsetLot.Registry registry, String projectId, String name, OffsetLot.Kind kind,
            String methodology, String country, Money price) {
    }

    @Transactional
    public OffsetProduct add(NewProduct p) {
        jdbc.sql("select pg_advisory_xact_lock(hashtext(?))").param("offset-product:" + p.registry() + ":"
                + p.projectId()).query(Object.class).single();
        if (find(p.registry(), p.projectId()).isPresent()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Project already in the catalog", p.registry() + " project "
                    + p.projectId() + " is already an offset product", "projectId");
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_products (id, registry, registry_project_id, name, kind, methodology, country,
                                             price_per_tonne, currency, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, p.registry().name(), p.projectId(), p.name(), p.kind().name(), p.methodology(),
                        p.country(), p.price() == null ? null : p.price().amount(),
                        p.price() == null ? null : p.price().currency().getCurrencyCode(),
                        Timestamp.from(clock.instant()))
                .update();
        return get(id);
    }

    public Optional<OffsetProduct> find(OffsetLot.Registry registry, String projectId) {
        return jdbc.sql("select * from offset_products where registry = ? and registry_project_id = ?")
                .params(registry.name(), projectId).query(OffsetProducts::map).optional();
    }

    public Optional<OffsetProduct> find(UUID id) {
        return jdbc.sql("select * from offset_products where id = ?").param(id).query(OffsetProducts::map).optional();
    }

    public OffsetProduct get(UUID id) {
        return find(id).orElseThrow(() -> ApiProblem.notFound("offset product", id));
    }

    /** A page of the catalog, oldest product first. */
    public PageRequest.Page<OffsetProduct> list(PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from offset_products where (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(OffsetProducts::map).list(), p -> new PageRequest.Cursor(p.createdAt(), p.id()));
    }

    static OffsetProduct map(ResultSet rs, int n) throws SQLException {
        return new OffsetProduct(rs.getObject("id", UUID.class), OffsetLot.Registry.valueOf(rs.getString("registry")),
                rs.getString("registry_project_id"), rs.getString("name"),
                OffsetLot.Kind.valueOf(rs.getString("kind")), rs.getString("methodology"), rs.getString("country"),
                rs.getBigDecimal("price_per_tonne"), rs.getString("currency"),
                rs.getTimestamp("created_at").toInstant());
    }
}
