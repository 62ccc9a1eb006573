package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Gives every newly metered request its emission record (version 1, methodology estimator-v1, full boundary), in the
 * ingest transaction: a request is never stored without its emissions. The only place emission records are inserted
 * ({@link #insert(UUID, List)}, one statement per batch); restatements add versions through it.
 */
@Component
public class EmissionsRecorder {

    /** Methodology of records whose accelerator energy was measured by the node's counters (measured mode). */
    public static final String MEASURED_VERSION = "measured-v1";
    public static final String MEASURED_FLAG = "measured";

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final GridFactors factors;
    private final EstimatorV1 estimator;
    private final FullBoundary boundary;
    private final Clock clock;
    private final ApplicationEventPublisher events;

    EmissionsRecorder(JdbcClient jdbc, JdbcTemplate template, GridFactors factors, Clock clock, ApplicationEventPublisher events,
            @Value("${carbonledger.emissions.default-batch-occupancy:64}") double defaultBatchOccupancy,
            @Value("${carbonledger.emissions.host-ratio:" + FullBoundary.DEFAULT_HOST_RATIO + "}") double hostRatio,
            @Value("${carbonledger.emissions.idle-ratio:" + FullBoundary.DEFAULT_IDLE_RATIO + "}") double idleRatio) {
        this.jdbc = jdbc;
        this.template = template;
        this.factors = factors;
        this.clock = clock;
        this.events = events;
        this.estimator = EstimatorV1.standard().withDefaultBatch(defaultBatchOccupancy);
        this.boundary = new FullBoundary(hostRatio, idleRatio, FullBoundary.DEFAULT_SERVER_EMBODIED_KG_PER_GPU,
                FullBoundary.DEFAULT_LIFETIME_YEARS, org.carbonledger.emissions.GpuCatalog.standard());
    }

    /**
     * The batch's records with a fixed number of statements whatever its size: one occupancy query for all its
     * requests, one location-based factor query for its distinct (region, instant) pairs, two queries for their
     * market-based figures (instruments per region and day, residual mixes per region and instant), one for their
     * marginal signals, and one insert of all its records.
     */
    @EventListener
    void on(RequestsMetered event) {
        List<MeteredRequest> requests = event.requests();
        if (requests.isEmpty()) {
            return;
        }
        List<Double> occupancies = observedOccupancies(requests);
        List<GridFactors.RegionAt> keys = new ArrayList<>(requests.size());
        for (MeteredRequest request : requests) {
            keys.add(new GridFactors.RegionAt(request.workload().region(), request.endedAt()));
        }
        Map<GridFactors.RegionAt, GridFactors.Factor> located = factors.locationBased(keys);
        List<GridFactors.LocatedAt> marketKeys = new ArrayList<>(requests.size());
        for (int k = 0; k < requests.size(); k++) {
            GridFactors.Factor factor = located.get(keys.get(k));
            if (factor == null) {
                throw new IllegalStateException("no grid factor for region " + requests.get(k).workload().region()
                        + " at " + requests.get(k).endedAt());
            }
            marketKeys.add(new GridFactors.LocatedAt(factor, requests.get(k).endedAt()));
        }
        Lookups lookups = new Prefetched(event.tenantId(), factors.marketBased(event.tenantId(), marketKeys),
                factors.marginal(keys));
        List<Row> rows = new ArrayList<>(requests.size());
        for (int k = 0; k < requests.size(); k++) {
            MeteredRequest request = requests.get(k);
            Workload workload = request.workload();
            GridFactors.Factor factor = located.get(keys.get(k));
            Calculation c = complete(workload, estimateGpu(workload, request.inputTokens(), request.outputTokens(),
                    occupancies.get(k)), factor, request.endedAt(), EstimatorV1.VERSION, "ESTIMATED", lookups);
            rows.add(new Row(request.id(), 1, c));
        }
        insert(event.tenantId(), rows);
    }

    /** One version of a request's emission record to insert. */
    public record Row(UUID inferenceRequestId, int version, Calculation calculation) {
    }

    /** The market-based and marginal figures a calculation needs; a batch loads them all beforehand. */
    private interface Lookups {
        GridFactors.Market market(UUID tenantId, GridFactors.Factor location, Instant at);

        Optional<GridFactors.Marginal> marginal(String region, Instant at);
    }

    private record Direct(GridFactors factors) implements Lookups {
        @Override
        public GridFactors.Market market(UUID tenantId, GridFactors.Factor location, Instant at) {
            return factors.marketBased(tenantId, location, at);
        }

        @Override
        public Optional<GridFactors.Marginal> marginal(String region, Instant at) {
            return factors.marginal(region, at);
        }
    }

    /** The market-based and marginal figures of a whole batch, loaded with one query each before it is computed. */
    private record Prefetched(UUID tenantId, Map<GridFactors.LocatedAt, GridFactors.Market> markets,
            Map<GridFactors.RegionAt, GridFactors.Marginal> marginals) implements Lookups {
        @Override
        public GridFactors.Market market(UUID tenant, GridFactors.Factor location, Instant at) {
            GridFactors.Market market = tenant.equals(tenantId) ? markets.get(new GridFactors.LocatedAt(location, at))
                    : null;
            if (market == null) {
                throw new IllegalStateException("no market-based figure loaded for " + location.region() + " at " + at);
            }
            return market;
        }

        @Override
        public Optional<GridFactors.Marginal> marginal(String region, Instant at) {
            return Optional.ofNullable(marginals.get(new GridFactors.RegionAt(region, at)));
        }
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
                EstimatorV1.VERSION, "ESTIMATED", new Direct(factors));
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
        return complete(workload, measured, factor, endedAt, MEASURED_VERSION, "MEASURED", new Direct(factors));
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
            Instant endedAt, String methodologyVersion, String energyBasis, Lookups lookups) {
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
        GridFactors.Market market = lookups.market(workload.tenantId(), factor, endedAt);
        Co2eMass marketBased = Co2eMass.ofGrams(total.kilowattHours().multiply(market.gco2ePerKwh()));
        Optional<GridFactors.Marginal> marginal = lookups.marginal(workload.region(), endedAt);
        return new Calculation(pue, factor, gpu, prefill, decode, accelerator, host, idle, overhead, total, low, high,
                BigDecimal.valueOf(c.embodiedGrams()).setScale(6, RoundingMode.HALF_EVEN), location, marketBased,
                co2e(low, factor), co2e(high, factor), market, methodologyVersion, energyBasis,
                marginal.orElse(null), marginal.map(m -> Co2eMass.ofGrams(total.kilowattHours()
                        .multiply(m.gco2ePerKwh()))).orElse(null));
    }

    /**
     * The observed batch occupancy of every request of a batch in one statement, in the batch's order: the average
     * number of the workload's requests in flight during each request (itself included), from the stored telemetry
     * (the batch's own rows included): Σ overlap / duration; for a zero-length request the count in flight at its
     * instant; null (the configured default applies) when no other request of the workload overlaps it. Joined
     * laterally once per distinct (workload, start, end) of the batch — requests with the same interval on the same
     * workload share the figure. The index range ends at the request's end plus the workload's longest request (V78,
     * decision 0080): nothing that starts before this request ends can end later than that, so a request that
     * arrives after later ones reads its neighbours only, not every request stored since.
     */
    List<Double> observedOccupancies(List<MeteredRequest> requests) {
        record Interval(UUID workloadId, Instant startedAt, Instant endedAt) {
        }
        Map<Interval, Integer> index = new java.util.LinkedHashMap<>();
        int[] keyOf = new int[requests.size()];
        for (int k = 0; k < requests.size(); k++) {
            MeteredRequest r = requests.get(k);
            keyOf[k] = index.computeIfAbsent(new Interval(r.workload().id(), r.startedAt(), r.endedAt()),
                    i -> index.size());
        }
        int n = index.size();
        Object[] workload = new Object[n];
        Object[] started = new Object[n];
        Object[] ended = new Object[n];
        for (Map.Entry<Interval, Integer> e : index.entrySet()) {
            workload[e.getValue()] = e.getKey().workloadId();
            started[e.getValue()] = e.getKey().startedAt().toString();
            ended[e.getValue()] = e.getKey().endedAt().toString();
        }
        long[] counts = new long[n];
        double[] sums = new double[n];
        template.execute((ConnectionCallback<Void>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord, o.requests, o.s
                      from unnest(?::uuid[], ?::timestamptz[], ?::timestamptz[])
                           with ordinality as t (workload_id, started_at, ended_at, ord)
                      left join workload_request_spans w on w.workload_id = t.workload_id
                     cross join lateral (
                       select count(*) as requests,
                              coalesce(sum(extract(epoch from (least(i.ended_at, t.ended_at)
                                  - greatest(i.started_at, t.started_at)))), 0) as s
                         from inference_requests i
                        where i.workload_id = t.workload_id and i.ended_at >= t.started_at
                          and i.ended_at <= t.ended_at + make_interval(secs => coalesce(w.max_seconds, 0))
                          and i.started_at <= t.ended_at) o""")) {
                ps.setArray(1, con.createArrayOf("uuid", workload));
                ps.setArray(2, con.createArrayOf("text", started));
                ps.setArray(3, con.createArrayOf("text", ended));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int k = rs.getInt("ord") - 1;
                        counts[k] = rs.getLong("requests");
                        sums[k] = rs.getDouble("s");
                    }
                }
            }
            return null;
        });
        List<Double> result = new ArrayList<>(requests.size());
        for (int k = 0; k < requests.size(); k++) {
            MeteredRequest r = requests.get(k);
            result.add(occupancy(counts[keyOf[k]], sums[keyOf[k]], r.startedAt(), r.endedAt()));
        }
        return result;
    }

    static Double occupancy(long requests, double overlapSeconds, Instant startedAt, Instant endedAt) {
        if (requests < 2) {
            return null;
        }
        double seconds = Duration.between(startedAt, endedAt).toNanos() / 1e9;
        return seconds > 0 ? Math.max(1, overlapSeconds / seconds) : (double) requests;
    }

    /**
     * Inserts one version of a request's emission record (a restatement's new version, say) and publishes it as
     * {@link EmissionsRecorded}: every version becomes a leaf of the transparency log in this transaction.
     */
    public UUID insert(UUID tenantId, UUID inferenceRequestId, int version, Calculation c) {
        return insert(tenantId, List.of(new Row(inferenceRequestId, version, c))).get(0);
    }

    /**
     * Inserts record versions of one tenant with one statement (an {@code insert … select from unnest(…)}) and
     * publishes them as one {@link EmissionsRecorded}, in the given order; returns their ids in that order.
     */
    public List<UUID> insert(UUID tenantId, List<Row> rows) {
        int n = rows.size();
        if (n == 0) {
            return List.of();
        }
        String calculatedAt = clock.instant().toString();
        List<UUID> ids = new ArrayList<>(n);
        Object[][] columns = new Object[INSERT_COLUMNS][n];
        for (int k = 0; k < n; k++) {
            Row row = rows.get(k);
            Calculation c = row.calculation();
            GridFactors.Factor f = c.factor();
            UUID id = org.carbonledger.shared.RowIds.next();
            ids.add(id);
            Object[] values = {id, row.inferenceRequestId(), row.version(), c.methodologyVersion(),
                    c.total().joules(), c.low().joules(), c.high().joules(), c.pue(), f.id(),
                    c.co2eLocation().grams(), c.co2eMarket().grams(), c.co2eLow().grams(), c.co2eHigh().grams(),
                    calculatedAt, c.prefill().joules(), c.decode().joules(), c.accelerator().joules(),
                    c.host().joules(), c.idle().joules(), c.overhead().joules(), c.embodiedGrams(),
                    BigDecimal.valueOf(c.gpu().batchOccupancy()).setScale(3, RoundingMode.HALF_EVEN),
                    c.gpu().gpuKey(), String.join(";", c.gpu().flags()), c.energyBasis(), f.source(), f.zone(),
                    f.validFrom().toString(), f.validTo() == null ? null : f.validTo().toString(),
                    f.datasetVersion(), f.status(), c.market().coverage(), c.market().residualBasis(),
                    c.marginal() == null ? null : c.marginal().id(),
                    c.co2eMarginal() == null ? null : c.co2eMarginal().grams()};
            for (int col = 0; col < INSERT_COLUMNS; col++) {
                Object v = values[col];
                columns[col][k] = v instanceof BigDecimal d ? d.toPlainString()
                        : v instanceof Integer i ? i.toString() : v;
            }
        }
        template.execute((ConnectionCallback<Integer>) con -> {
            try (PreparedStatement ps = con.prepareStatement(INSERT)) {
                ps.setObject(1, tenantId);
                for (int col = 0; col < INSERT_COLUMNS; col++) {
                    ps.setArray(col + 2, con.createArrayOf(INSERT_TYPES[col], columns[col]));
                }
                return ps.executeUpdate();
            }
        });
        events.publishEvent(new EmissionsRecorded(tenantId, List.copyOf(ids)));
        return ids;
    }

    /** Array element types of the unnested columns, in the order of {@link #INSERT}'s parameters after the tenant. */
    private static final String[] INSERT_TYPES = {"uuid", "uuid", "text", "text", "text", "text", "text", "text",
            "uuid", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "uuid",
            "text"};
    private static final int INSERT_COLUMNS = INSERT_TYPES.length;

    private static final String INSERT = """
            insert into emission_records (id, tenant_id, inference_request_id, version, methodology_version,
                energy_joules, energy_joules_low, energy_joules_high, pue, emission_factor_id,
                co2e_grams_location, co2e_grams_market, co2e_grams_low, co2e_grams_high, calculated_at,
                energy_joules_prefill, energy_joules_decode, energy_joules_accelerator, energy_joules_host,
                energy_joules_idle, energy_joules_pue_overhead, co2e_grams_embodied, batch_occupancy, gpu_key,
                estimator_flags, energy_basis, factor_source, factor_zone, factor_valid_from, factor_valid_to,
                factor_dataset_version, factor_status, market_coverage, market_residual_basis,
                factor_signal_type, marginal_signal_id, co2e_grams_marginal)
            select r.id, ?, r.request_id, r.version::integer, r.methodology_version,
                   r.energy_joules::numeric, r.energy_joules_low::numeric, r.energy_joules_high::numeric,
                   r.pue::numeric, r.factor_id, r.co2e_location::numeric, r.co2e_market::numeric,
                   r.co2e_low::numeric, r.co2e_high::numeric, r.calculated_at::timestamptz,
                   r.prefill::numeric, r.decode::numeric, r.accelerator::numeric, r.host::numeric, r.idle::numeric,
                   r.overhead::numeric, r.embodied::numeric, r.batch_occupancy::numeric, r.gpu_key, r.flags,
                   r.energy_basis, r.factor_source, r.factor_zone, r.valid_from::timestamptz,
                   r.valid_to::timestamptz, r.dataset_version, r.factor_status, r.market_coverage::numeric,
                   r.residual_basis, (select f.signal_type from emission_factors f where f.id = r.factor_id),
                   r.marginal_id, r.co2e_marginal::numeric
              from unnest(?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                          ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                          ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                          ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                          ?::text[], ?::uuid[], ?::text[])
                   as r (id, request_id, version, methodology_version, energy_joules, energy_joules_low,
                         energy_joules_high, pue, factor_id, co2e_location, co2e_market, co2e_low, co2e_high,
                         calculated_at, prefill, decode, accelerator, host, idle, overhead, embodied,
                         batch_occupancy, gpu_key, flags, energy_basis, factor_source, factor_zone, valid_from,
                         valid_to, dataset_version, factor_status, market_coverage, residual_basis, marginal_id,
                         co2e_marginal)""";

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
