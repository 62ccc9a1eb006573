package org.carbonledger.telemetry;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Stores GPU energy counter samples (cumulative joules per node and GPU, the shape of DCGM's total-energy counter)
 * exactly once per (tenant, node, GPU, sample time), each sample judged on its own.
 */
@Service
public class EnergyIngest {

    public static final int MAX_BATCH = 1000;
    /** {@code numeric(24,3)}: at most 21 integer digits. */
    static final BigDecimal MAX_JOULES = new BigDecimal("1e21");

    private final JdbcClient jdbc;
    private final Workloads workloads;
    private final Clock clock;

    EnergyIngest(JdbcClient jdbc, Workloads workloads, Clock clock) {
        this.jdbc = jdbc;
        this.workloads = workloads;
        this.clock = clock;
    }

    /** A counter sample as received; nulls are reported as missing fields. */
    public record Sample(UUID workloadId, String nodeId, Integer gpu, Instant sampledAt,
            BigDecimal energyJoulesTotal) {
    }

    /** One position of a batch: a decoded sample, or the field (relative to the sample) and reason it failed. */
    public record Candidate(Sample sample, String field, String reason) {

        public static Candidate of(Sample sample) {
            return new Candidate(sample, null, null);
        }

        public static Candidate rejected(String field, String reason) {
            return new Candidate(null, field, reason);
        }
    }

    public record EnergyItemResult(int index, RequestIngest.Outcome status, String field, String reason) {
    }

    public record EnergyResult(int accepted, int duplicates, int rejected, int otherMetrics, List<EnergyItemResult> items) {
    }

    /** Stores the valid samples; {@code otherMetrics} counts samples of other metrics the format skipped, echoed. */
    @Transactional
    public EnergyResult ingest(UUID tenantId, List<Candidate> candidates, String itemPrefix, int otherMetrics) {
        if (candidates.isEmpty()) {
            throw ApiProblem.invalid(itemPrefix, "the batch holds no energy samples");
        }
        if (candidates.size() > MAX_BATCH) {
            throw ApiProblem.invalid(itemPrefix, "a batch holds at most " + MAX_BATCH + " samples, got "
                    + candidates.size());
        }
        Instant now = clock.instant();
        Map<UUID, Optional<Workload>> known = new HashMap<>();
        List<EnergyItemResult> results = new ArrayList<>(candidates.size());
        int accepted = 0;
        int duplicates = 0;
        int rejected = 0;
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            String field = c.field();
            String reason = c.reason();
            if (reason == null) {
                String[] problem = validate(tenantId, c.sample(), known, now);
                if (problem != null) {
                    field = problem[0];
                    reason = problem[1];
                }
            }
            if (reason != null) {
                rejected++;
                results.add(new EnergyItemResult(i, RequestIngest.Outcome.REJECTED,
                        itemPrefix + "[" + i + "]" + (field.isEmpty() ? "" : "." + field), reason));
                continue;
            }
            Sample s = c.sample();
            int inserted = jdbc.sql("""
                    insert into energy_measurements (id, tenant_id, workload_id, node_id, gpu_index, sampled_at,
                                                     energy_joules_total, received_at)
                    values (?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (tenant_id, node_id, gpu_index, sampled_at) do nothing""")
                    .params(org.carbonledger.shared.RowIds.next(), tenantId, s.workloadId(), s.nodeId(), s.gpu(),
                            Timestamp.from(s.sampledAt()), s.energyJoulesTotal(), Timestamp.from(now))
                    .update();
            if (inserted == 1) {
                accepted++;
                results.add(new EnergyItemResult(i, RequestIngest.Outcome.ACCEPTED, null, null));
            } else {
                duplicates++;
                results.add(new EnergyItemResult(i, RequestIngest.Outcome.DUPLICATE, null, null));
            }
        }
        return new EnergyResult(accepted, duplicates, rejected, otherMetrics, List.copyOf(results));
    }

    private String[] validate(UUID tenantId, Sample s, Map<UUID, Optional<Workload>> known, Instant now) {
        if (s.workloadId() == null) {
            return new String[] {"workloadId", "workloadId is required"};
        }
        if (known.computeIfAbsent(s.workloadId(), id -> workloads.find(tenantId, id)).isEmpty()) {
            return new String[] {"workloadId", "workload " + s.workloadId() + " does not exist"};
        }
        if (s.nodeId() == null || s.nodeId().isBlank()) {
            return new String[] {"nodeId", "nodeId is required"};
        }
        if (s.nodeId().length() > 200) {
            return new String[] {"nodeId", "nodeId is longer than 200 characters"};
        }
        if (s.gpu() == null) {
            return new String[] {"gpu", "gpu is required"};
        }
        if (s.gpu() < 0 || s.gpu() > 1023) {
            return new String[] {"gpu", "gpu must be between 0 and 1023, got " + s.gpu()};
        }
        if (s.sampledAt() == null) {
            return new String[] {"sampledAt", "sampledAt is required (RFC 3339 timestamp)"};
        }
        if (s.sampledAt().isAfter(now.plusSeconds(300))) {
            return new String[] {"sampledAt", "sampledAt lies in the future"};
        }
        if (s.energyJoulesTotal() == null) {
            return new String[] {"energyJoulesTotal", "energyJoulesTotal is required"};
        }
        if (s.energyJoulesTotal().signum() < 0 || s.energyJoulesTotal().compareTo(MAX_JOULES) >= 0) {
            return new String[] {"energyJoulesTotal", "energyJoulesTotal must be between 0 and 1e21 J, got "
                    + s.energyJoulesTotal().toPlainString()};
        }
        if (s.energyJoulesTotal().stripTrailingZeros().scale() > 3) {
            return new String[] {"energyJoulesTotal", "energyJoulesTotal has more than 3 decimals (millijoules)"};
        }
        return null;
    }
}
