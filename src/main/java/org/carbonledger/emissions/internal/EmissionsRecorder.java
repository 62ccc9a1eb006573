package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.carbonledger.emissions.EmissionsRecorded;
import org.carbonledger.emissions.GridFactors;
import org.carbonledger.emissions.PerTokenEstimator;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.Energy;
import org.carbonledger.telemetry.MeteredRequest;
import org.carbonledger.telemetry.RequestsMetered;
import org.carbonledger.workload.Workload;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Gives every newly metered request its emission record (version 1), in the ingest transaction: a request is never
 * stored without its emissions.
 */
@Component
class EmissionsRecorder {

    private final JdbcClient jdbc;
    private final GridFactors factors;
    private final PerTokenEstimator estimator = new PerTokenEstimator();
    private final Clock clock;
    private final ApplicationEventPublisher events;

    EmissionsRecorder(JdbcClient jdbc, GridFactors factors, Clock clock, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.factors = factors;
        this.clock = clock;
        this.events = events;
    }

    @EventListener
    void on(RequestsMetered event) {
        List<UUID> recordIds = new ArrayList<>();
        for (MeteredRequest request : event.requests()) {
            recordIds.add(record(event.tenantId(), request));
        }
        events.publishEvent(new EmissionsRecorded(event.tenantId(), recordIds));
    }

    private UUID record(UUID tenantId, MeteredRequest request) {
        Workload workload = request.workload();
        GridFactors.Factor factor = factors.locationBased(workload.region(), request.endedAt())
                .orElseThrow(() -> new IllegalStateException("no grid factor for region " + workload.region()
                        + " at " + request.endedAt()));
        BigDecimal pue = workload.pue() != null ? workload.pue() : factors.defaultPue(factor.provider());
        PerTokenEstimator.Estimate e = estimator.estimate(workload.modelParamsBillion(), request.inputTokens(),
                request.outputTokens(), pue);
        Co2eMass co2e = co2e(e.central(), factor);
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into emission_records (id, tenant_id, inference_request_id, version, methodology_version,
                    energy_joules, energy_joules_low, energy_joules_high, pue, emission_factor_id,
                    co2e_grams_location, co2e_grams_market, co2e_grams_low, co2e_grams_high, calculated_at)
                values (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, tenantId, request.id(), PerTokenEstimator.VERSION,
                        e.central().joules(), e.low().joules(), e.high().joules(), pue, factor.id(),
                        co2e.grams(), co2e.grams(), co2e(e.low(), factor).grams(), co2e(e.high(), factor).grams(),
                        Timestamp.from(clock.instant()))
                .update();
        return id;
    }

    /** CO2e [g] = energy [kWh] × intensity [gCO2e/kWh]. */
    static Co2eMass co2e(Energy energy, GridFactors.Factor factor) {
        return Co2eMass.ofGrams(energy.kilowattHours().multiply(factor.gco2ePerKwh()));
    }
}
