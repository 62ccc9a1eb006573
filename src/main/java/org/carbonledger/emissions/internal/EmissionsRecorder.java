package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.carbonledger.emissions.EmissionsRecorded;
import org.carbonledger.emissions.EstimatorV1;
import org.carbonledger.emissions.FullBoundary;
import org.carbonledger.emissions.GridFactors;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.Energy;
import org.carbonledger.telemetry.MeteredRequest;
import org.carbonledger.telemetry.RequestsMetered;
import org.carbonledger.workload.Workload;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Gives every newly metered request its emission record (version 1, methodology estimator-v1, full boundary), in the
 * ingest transaction: a request is never stored without its emissions. The only place emission records are inserted
 * ({@link #insert}); restatements add versions through it.
 */
@Component
public class EmissionsRecorder {

    /** Methodology of records whose accelerator energy was measured by the node's counters (measured mode). */
    public static final String MEASURED_VERSION = "measured-v1";
    public static final String MEASURED_FLAG = "measured";

    private final JdbcClient jdbc;
    private final GridFactors factors;
    private final EstimatorV1 estimator;
    private final FullBoundary boundary;
    private final Clock clock;
    private final ApplicationEventPublisher events;

    EmissionsRecorder(JdbcClient jdbc, GridFactors factors, Clock clock, ApplicationEventPublisher events,
            @Value("${carbonledger.emissions.default-batch-occupancy:64}") double defaultBatchOccupancy,
            @Value("${carbonledger.emissions.host-ratio:" + FullBoundary.DEFAULT_HOST_RATIO + "}") double hostRatio,
            @Value("${carbonledger.emissions.idle-ratio:" + FullBoundary.DEFAULT_IDLE_RATIO + "}") double idleRatio) {
        this.jdbc = jdbc;
        this.factors = factors;
        this.clock = clock;
        this.events = events;
        this.estimator = EstimatorV1.standard().withDefaultBatch(defaultBatchOccupancy);
        this.boundary = new FullBoundary(hostRatio, idleRatio, FullBoundary.DEFAULT_SERVER_EMBODIED_KG_PER_GPU,
                FullBoundary.DEFAULT_LIFETIME_YEARS, org.carbonledger.emissions.GpuCatalog.standard());
    }

    @EventListener
    void on(RequestsMetered event) {
        List<UUID> recordIds = new ArrayList<>();
        for (MeteredRequest request : event.requests()) {
            Workload workload = request.workload();
            Double occupancy = observedOccupancy(workload.id(), request.startedAt(), request.endedAt());
            Calculation c = calculate(workload, request.inputTokens(), request.outputTokens(), occupancy,
                    request.endedAt());
            recordIds.add(insertRow(event.tenantId(), request.id(), 1, c));
        }
        events.publishEvent(new EmissionsRecorded(event.tenantId(), recordIds));
    }

    /** Everything one emission record version stores. */
    public record Calculation(BigDecimal pue, GridFactors.Factor factor, EstimatorV1.GpuEnergy gpu, Energy prefill,
            Energy decode, Energy accelerator, Energy host, Energy idle, Energy overhead, Energy total, Energy low,
            Energy high, BigDecimal embodiedGrams, Co2eMass co2eLocation, Co2eMass co2eMarket, Co2eMass co2eLow,
            Co2eMass co2eHigh, GridFactors.Market market, String methodologyVersion, String energyBasis,
            GridFactors.Marginal marginal, Co2eMass co2eMarginal) {
    }

    /** Energy and CO2e of a request on a workload with the grid factor valid when it ended. */
    public Calculation calculate(Workload workload, long inputTokens, long outputTokens, Double occupancy,
            Instant endedAt) {
        GridFactors.Factor factor = factors.locationBased(workload.region(), endedAt)
                .orElseThrow(() -> new IllegalStateException("no grid factor for region " + workload.region()
                        + " at " + endedAt));
        return calculate(workload, inputTokens, outputTokens, occupancy, factor, endedAt);
    }

    public Calculation calculate(Workload workload, long inputTokens, long outputTokens, Double occupancy,
            GridFactors.Factor factor, Instant endedAt) {
        return complete(workload, estimateGpu(workload, inputTokens, outputTokens, occupancy), factor, endedAt,
                EstimatorV1.VERSION, "ESTIMATED");
    }

    /** The estimator's accelerator energy of a request on a workload (prefill and decode separately). */
    public EstimatorV1.GpuEnergy estimateGpu(Workload workload, long inputTokens, long outputTokens,
            Double occupancy) {
        return estimator.estimate(new EstimatorV1.Inputs(workload.model(),
                workload.modelParamsBillion().doubleValue(), null, null, workload.gpuModel(), workload.gpuCount(),
                occupancy, inputTokens, outputTokens), false);
    }

    /**
     * A measured version: the accelerator energy attributed from the node's counters ({@code acceleratorJoules},
     * range {@code low…high} from the two attribution rules), split into prefill and decode in the proportion the
     * estimator splits the request; host, idle, PUE overhead and embodied around it as for estimates.
     */
    public Calculation measured(Workload workload, long inputTokens, long outputTokens, Double occupancy,
            double acceleratorJoules, double lowJoules, double highJoules, GridFactors.Factor factor,
            Instant endedAt) {
        EstimatorV1.GpuEnergy est = estimateGpu(workload, inputTokens, outputTokens, occupancy);
        double estimated = est.joules();
        double prefillShare = estimated > 0 ? est.prefillJoules() / estimated : 0;
        double prefill = acceleratorJoules * prefillShare;
        java.util.TreeSet<String> flags = new java.util.TreeSet<>(est.flags());
        flags.add(MEASURED_FLAG);
        EstimatorV1.GpuEnergy measured = new EstimatorV1.GpuEnergy(prefill, acceleratorJoules - prefill,
                Math.min(lowJoules, acceleratorJoules), Math.max(highJoules, acceleratorJoules), est.gpuKey(),
                est.numGpus(), est.batchOccupancy(), est.activeParamsBillion(),
                estimated > 0 ? est.gpuSeconds() * acceleratorJoules / estimated : 0,
                java.util.Collections.unmodifiableSortedSet(flags));
        return complete(workload, measured, factor, endedAt, MEASURED_VERSION, "MEASURED");
    }

    public Calculation measured(Workload workload, long inputTokens, long outputTokens, Double occupancy,
            double acceleratorJoules, double lowJoules, double highJoules, Instant endedAt) {
        GridFactors.Factor factor = factors.locationBased(workload.region(), endedAt)
                .orElseThrow(() -> new IllegalStateException("no grid factor for region " + workload.region()
                        + " at " + endedAt));
        return measured(workload, inputTokens, outputTokens, occupancy, acceleratorJoules, lowJoules, highJoules,
                factor, endedAt);
    }

    private Calculation complete(Workload workload, EstimatorV1.GpuEnergy gpu, GridFactors.Factor factor,
            Instant endedAt, String methodologyVersion, String energyBasis) {
        BigDecimal pue = workload.pue() != null ? workload.pue() : factors.defaultPue(factor.provider());
        FullBoundary.Components c = boundary.of(gpu, pue.doubleValue());
        Energy prefill = joules(gpu.prefillJoules());
        Energy decode = joules(gpu.decodeJoules());
        Energy accelerator = prefill.plus(decode);
        Energy host = joules(c.hostJoules());
        Energy idle = joules(c.idleJoules());
        Energy overhead = joules(c.overheadJoules());
        Energy total = accelerator.plus(host).plus(idle).plus(overhead);
        Energy low = min(joules(c.totalJoulesLow()), total);
        Energy high = max(joules(c.totalJoulesHigh()), total);
        Co2eMass location = co2e(total, factor);
        GridFactors.Market market = factors.marketBased(workload.tenantId(), factor, endedAt);
        Co2eMass marketBased = Co2eMass.ofGrams(total.kilowattHours().multiply(market.gco2ePerKwh()));
        java.util.Optional<GridFactors.Marginal> marginal = factors.marginal(workload.region(), endedAt);
        return new Calculation(pue, factor, gpu, prefill, decode, accelerator, host, idle, overhead, total, low, high,
                BigDecimal.valueOf(c.embodiedGrams()).setScale(6, RoundingMode.HALF_EVEN), location, marketBased,
                co2e(low, factor), co2e(high, factor), market, methodologyVersion, energyBasis,
                marginal.orElse(null), marginal.map(m -> Co2eMass.ofGrams(total.kilowattHours()
                        .multiply(m.gco2ePerKwh()))).orElse(null));
    }

    /**
     * Average number of the workload's requests in flight during this request (itself included), from the stored
     * telemetry: Σ overlap / duration; for a zero-length request the count in flight at its instant. Null (the
     * configured default applies) when no other request of the workload overlaps it.
     */
    Double observedOccupancy(UUID workloadId, Instant startedAt, Instant endedAt) {
        record Overlap(long requests, double overlapSeconds) {
        }
        Overlap o = jdbc.sql("""
                select count(*) as requests,
                       coalesce(sum(extract(epoch from (least(ended_at, ?) - greatest(started_at, ?)))), 0) as s
                  from inference_requests
                 where workload_id = ? and ended_at >= ? and started_at <= ?""")
                .params(Timestamp.from(endedAt), Timestamp.from(startedAt), workloadId, Timestamp.from(startedAt),
                        Timestamp.from(endedAt))
                .query((rs, n) -> new Overlap(rs.getLong("requests"), rs.getDouble("s"))).single();
        if (o.requests() < 2) {
            return null;
        }
        double seconds = Duration.between(startedAt, endedAt).toNanos() / 1e9;
        return seconds > 0 ? Math.max(1, o.overlapSeconds() / seconds) : (double) o.requests();
    }

    /**
     * Inserts one version of a request's emission record (a restatement's new version, say) and publishes it as
     * {@link EmissionsRecorded}: every version becomes a leaf of the transparency log in this transaction.
     */
    public UUID insert(UUID tenantId, UUID inferenceRequestId, int version, Calculation c) {
        UUID id = insertRow(tenantId, inferenceRequestId, version, c);
        events.publishEvent(new EmissionsRecorded(tenantId, List.of(id)));
        return id;
    }

    private UUID insertRow(UUID tenantId, UUID inferenceRequestId, int version, Calculation c) {
        GridFactors.Factor f = c.factor();
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into emission_records (id, tenant_id, inference_request_id, version, methodology_version,
                    energy_joules, energy_joules_low, energy_joules_high, pue, emission_factor_id,
                    co2e_grams_location, co2e_grams_market, co2e_grams_low, co2e_grams_high, calculated_at,
                    energy_joules_prefill, energy_joules_decode, energy_joules_accelerator, energy_joules_host,
                    energy_joules_idle, energy_joules_pue_overhead, co2e_grams_embodied, batch_occupancy, gpu_key,
                    estimator_flags, energy_basis, factor_source, factor_zone, factor_valid_from, factor_valid_to,
                    factor_dataset_version, factor_status, market_coverage, market_residual_basis,
                    factor_signal_type, marginal_signal_id, co2e_grams_marginal)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                        ?, ?, ?, ?, ?, ?, ?, ?, (select signal_type from emission_factors where id = ?), ?, ?)""")
                .params(id, tenantId, inferenceRequestId, version, c.methodologyVersion(),
                        c.total().joules(), c.low().joules(), c.high().joules(), c.pue(), f.id(),
                        c.co2eLocation().grams(), c.co2eMarket().grams(), c.co2eLow().grams(), c.co2eHigh().grams(),
                        Timestamp.from(clock.instant()), c.prefill().joules(), c.decode().joules(),
                        c.accelerator().joules(), c.host().joules(), c.idle().joules(), c.overhead().joules(),
                        c.embodiedGrams(), BigDecimal.valueOf(c.gpu().batchOccupancy()).setScale(3,
                                RoundingMode.HALF_EVEN), c.gpu().gpuKey(), String.join(";", c.gpu().flags()),
                        c.energyBasis(), f.source(), f.zone(), Timestamp.from(f.validFrom()),
                        f.validTo() == null ? null : Timestamp.from(f.validTo()), f.datasetVersion(), f.status(),
                        c.market().coverage(), c.market().residualBasis(), f.id(),
                        c.marginal() == null ? null : c.marginal().id(),
                        c.co2eMarginal() == null ? null : c.co2eMarginal().grams())
                .update();
        return id;
    }

    private static Energy joules(double j) {
        return Energy.ofJoules(BigDecimal.valueOf(j));
    }

    private static Energy min(Energy a, Energy b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Energy max(Energy a, Energy b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** CO2e [g] = energy [kWh] × intensity [gCO2e/kWh]. */
    static Co2eMass co2e(Energy energy, GridFactors.Factor factor) {
        return Co2eMass.ofGrams(energy.kilowattHours().multiply(factor.gco2ePerKwh()));
    }
}
