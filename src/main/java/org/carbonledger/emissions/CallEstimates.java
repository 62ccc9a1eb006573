package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.emissions.internal.EmissionsRecorder;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.stereotype.Service;

/**
 * The location-based CO2e one call would be recorded with, computed as the emission record is (estimator-v1, full
 * boundary, the workload's grid factor valid when the call ended) but without storing anything and with the
 * configured default batch occupancy. Shown to callers as an estimate; the stored emission record is authoritative.
 */
@Service
public class CallEstimates {

    private final Workloads workloads;
    private final EmissionsRecorder recorder;

    CallEstimates(Workloads workloads, EmissionsRecorder recorder) {
        this.workloads = workloads;
        this.recorder = recorder;
    }

    /** Grams of CO2e (location-based); empty when the workload is unknown or no grid factor is valid then. */
    public Optional<BigDecimal> co2eGrams(UUID tenantId, UUID workloadId, long inputTokens, long outputTokens,
            Instant endedAt) {
        Optional<Workload> workload = workloads.find(tenantId, workloadId);
        if (workload.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(recorder.calculate(workload.get(), inputTokens, outputTokens, null, endedAt)
                    .co2eLocation().grams());
        } catch (IllegalStateException noGridFactor) {
            return Optional.empty();
        }
    }
}
