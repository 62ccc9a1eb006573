package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.workload.Workload;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Measured mode: turns the GPU energy counters of each node into joules per fixed window, attributes them to the
 * requests served on that node in that window, stores the window's reconciliation, and restates each request whose
 * windows are all attributed as a new emission record version ({@code measured-v1}). Idempotent: a window is
 * attributed once (unique per tenant, node and start), a request restated once ({@code measured_requests}).
 *
 * <p>The rule (docs/domain/methodology.md §9): per window, the node's measured joules are split into the part drawn
 * while at least one request was in flight (busy) and the rest (idle). Busy joules go to the requests in flight in
 * proportion to {@code w = (E_prefill + E_decode) × overlap / duration}, the estimator's accelerator energy of the
 * request (prefill per input token, decode per output token at its batch occupancy) times the share of its time
 * inside the window. Idle joules follow the configured policy: {@code PRO_RATA} adds them to the same requests by
 * the same weights, {@code IDLE_CAPACITY} keeps them on the window as an idle-capacity component. What neither
 * takes (a window with no weighted request) is the window's residual; nothing is dropped.
 */
@Service
public class MeasuredAttribution {

    public enum IdlePolicy { PRO_RATA, IDLE_CAPACITY }

    /** At most this many windows are attributed per run; the rest wait for the next run. */
    public static final int MAX_WINDOWS_PER_RUN = 5_000;
    /** A GPU silent for this long before a window is taken as removed from the node. */
    static final Duration GPU_GONE_AFTER = Duration.ofHours(1);
    private static final long LOCK_KEY = 0x6d65617375726564L; // "measured"

    public record RunResult(int windowsAttributed, int windowsIncomplete, int attributions, int recordsRestated,
            boolean more) {
    }

    private final JdbcClient jdbc;
    private final EmissionsRecorder recorder;
    private final Clock clock;
    private final Duration window;
    private final Duration grace;
    private final IdlePolicy idlePolicy;
    private final Duration maxSampleGap;
    private final Duration lookback;

    MeasuredAttribution(JdbcClient jdbc, EmissionsRecorder recorder, Clock clock,
            @Value("${carbonledger.emissions.measured.window:PT5M}") Duration window,
            @Value("${carbonledger.emissions.measured.grace:PT5M}") Duration grace,
            @Value("${carbonledger.emissions.measured.idle-policy:PRO_RATA}") IdlePolicy idlePolicy,
            @Value("${carbonledger.emissions.measured.max-sample-gap:PT15M}") Duration maxSampleGap,
            @Value("${carbonledger.emissions.measured.lookback:P7D}") Duration lookback) {
        if (window.isNegative() || window.isZero() || Duration.ofHours(1).toNanos() % window.toNanos() != 0) {
            throw new IllegalArgumentException("carbonledger.emissions.measured.window must divide one hour");
        }
        this.jdbc = jdbc;
        this.recorder = recorder;
        this.clock = clock;
        this.window = window;
        this.grace = grace;
        this.idlePolicy = idlePolicy;
        this.maxSampleGap = maxSampleGap;
        if (lookback.compareTo(window) < 0) {
            throw new IllegalArgumentException("carbonledger.emissions.measured.lookback must be at least one window");
        }
        this.lookback = lookback;
    }

    public IdlePolicy idlePolicy() {
        return idlePolicy;
    }

    record Sample(int gpu, Instant at, BigDecimal joulesTotal) {
    }

    record Req(UUID id, Workload workload, long in, long out, Instant start, Instant end, Double occupancy) {
    }

    /** Attributes every closed, completely sampled window not attributed yet, then restates the completed requests. */
    @Transactional
    public RunResult processClosedWindows() {
        jdbc.sql("select pg_advisory_xact_lock(?)").param(LOCK_KEY).query().listOfRows();
        Instant closedBefore = clock.instant().minus(grace);
        // only windows starting at or after the horizon are considered, so a run reads the lookback's samples,
        // windows and requests, not the whole history (decision 0079); samples from before it are read as far back
        // as a window's measurement can look (a GPU's previous sample, or its silence of GPU_GONE_AFTER)
        Instant horizon = floor(closedBefore.minus(lookback));
        Instant cut = horizon.minus(maxSampleGap.compareTo(GPU_GONE_AFTER) > 0 ? maxSampleGap : GPU_GONE_AFTER);
        record Node(UUID tenantId, String nodeId, Instant first, Instant last) {
        }
        List<Node> nodes = jdbc.sql("""
                select tenant_id, node_id, min(sampled_at) as first, max(sampled_at) as last
                  from energy_measurements where sampled_at >= ?
                 group by tenant_id, node_id order by tenant_id, node_id""")
                .param(Timestamp.from(cut))
                .query((rs, n) -> new Node(rs.getObject("tenant_id", UUID.class), rs.getString("node_id"),
                        rs.getTimestamp("first").toInstant(), rs.getTimestamp("last").toInstant()))
                .list();
        int windows = 0;
        int incomplete = 0;
        int attributions = 0;
        boolean more = false;
        Set<UUID> touched = new LinkedHashSet<>();
        Map<UUID, String> nodeOf = new HashMap<>();
        Map<UUID, UUID> tenantOf = new HashMap<>();
        for (Node node : nodes) {
            if (more) {
                break; // the run's window limit is reached: the next run goes on
            }
            Instant from = floor(node.first()).isBefore(horizon) ? horizon : floor(node.first());
            Instant until = node.last().isBefore(closedBefore) ? node.last() : closedBefore;
            if (from.plus(window).isAfter(until)) {
                continue;
            }
            Set<Instant> done = new HashSet<>(jdbc.sql("""
                    select window_start from measurement_windows
                     where tenant_id = ? and node_id = ? and window_start >= ?""")
                    .params(node.tenantId(), node.nodeId(), Timestamp.from(horizon))
                    .query((rs, n) -> rs.getTimestamp(1).toInstant()).list());
            // the samples since the cut, and each GPU's last sample before it: what the windows after the horizon
            // are measured from, exactly as if the whole history had been read
            List<Sample> samples = jdbc.sql("""
                    select gpu_index, sampled_at, energy_joules_total from (
                        select gpu_index, sampled_at, energy_joules_total from energy_measurements
                         where tenant_id = ? and node_id = ? and sampled_at >= ?
                        union all
                        select distinct on (gpu_index) gpu_index, sampled_at, energy_joules_total
                          from energy_measurements
                         where tenant_id = ? and node_id = ? and sampled_at < ?
                         order by gpu_index, sampled_at desc) s
                     order by gpu_index, sampled_at""")
                    .params(node.tenantId(), node.nodeId(), Timestamp.from(cut), node.tenantId(), node.nodeId(),
                            Timestamp.from(cut))
                    .query((rs, n) -> new Sample(rs.getInt(1), rs.getTimestamp(2).toInstant(), rs.getBigDecimal(3)))
                    .list();
            Map<Integer, List<Sample>> byGpu = new TreeMap<>();
            samples.forEach(s -> byGpu.computeIfAbsent(s.gpu(), g -> new ArrayList<>()).add(s));
            List<Req> requests = requests(node.tenantId(), node.nodeId(), from, until);
            java.util.TreeSet<Instant> candidates = new java.util.TreeSet<>();
            for (List<Sample> gpu : byGpu.values()) {
                for (int i = 0; i + 1 < gpu.size(); i++) {
                    Instant a = gpu.get(i).at();
                    Instant b = gpu.get(i + 1).at();
                    if (Duration.between(a, b).compareTo(maxSampleGap) <= 0) {
                        for (Instant ws = floor(a); ws.isBefore(b); ws = ws.plus(window)) {
                            candidates.add(ws);
                        }
                    }
                }
            }
            for (Instant ws : candidates) {
                if (ws.isBefore(horizon) || done.contains(ws) || ws.plus(window).isAfter(until)) {
                    continue;
                }
                if (windows == MAX_WINDOWS_PER_RUN) {
                    more = true;
                    break;
                }
                WindowEnergy energy = measure(byGpu, ws, ws.plus(window), requests, maxSampleGap);
                if (energy == null) {
                    incomplete++;
                    continue;
                }
                List<UUID> inWindow = attribute(node.tenantId(), node.nodeId(), ws, energy, requests);
                windows++;
                attributions += inWindow.size();
                for (UUID r : inWindow) {
                    touched.add(r);
                    nodeOf.put(r, node.nodeId());
                    tenantOf.put(r, node.tenantId());
                }
            }
        }
        int restated = 0;
        for (UUID request : touched) {
            if (restate(tenantOf.get(request), nodeOf.get(request), request)) {
                restated++;
            }
        }
        return new RunResult(windows, incomplete, attributions, restated, more);
    }

    Instant floor(Instant t) {
        long w = window.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(t.toEpochMilli(), w) * w);
    }

    private List<Req> requests(UUID tenantId, String nodeId, Instant from, Instant until) {
        return jdbc.sql("""
                select r.id, r.input_tokens, r.output_tokens, r.started_at, r.ended_at,
                       w.id as w_id, w.name, w.model, w.model_params_billion, w.gpu_model, w.gpu_count, w.region,
                       w.pue, w.created_at, w.serving_since,
                       (select case when e.estimator_flags like '%batch-default%' then null else e.batch_occupancy end
                          from emission_records e
                         where e.inference_request_id = r.id and e.energy_basis = 'ESTIMATED'
                         order by e.version desc limit 1) as occupancy
                  from inference_requests r join workloads w on w.id = r.workload_id
                 where r.tenant_id = ? and r.node_id = ? and r.ended_at >= ? and r.started_at < ?
                 order by r.started_at, r.id""")
                .params(tenantId, nodeId, Timestamp.from(from), Timestamp.from(until))
                .query((rs, n) -> new Req(rs.getObject("id", UUID.class),
                        new Workload(rs.getObject("w_id", UUID.class), tenantId, rs.getString("name"),
                                rs.getString("model"), rs.getBigDecimal("model_params_billion"),
                                rs.getString("gpu_model"), rs.getInt("gpu_count"), rs.getString("region"),
                                rs.getBigDecimal("pue"), rs.getTimestamp("created_at").toInstant(),
                                rs.getTimestamp("serving_since").toInstant()),
                        rs.getLong("input_tokens"), rs.getLong("output_tokens"),
                        rs.getTimestamp("started_at").toInstant(), rs.getTimestamp("ended_at").toInstant(),
                        rs.getBigDecimal("occupancy") == null ? null : rs.getBigDecimal("occupancy").doubleValue()))
                .list();
    }

    /** Joules of a node in a window: measured, drawn while no request was in flight (idle), counter resets. */
    record WindowEnergy(double measured, double idle, double gpuSecondsCovered, int resets) {
    }

    /**
     * The node's energy in [ws, we) from consecutive samples of each GPU, power constant between two samples; null
     * when a GPU reporting before the window end has no sample at or after it yet (the window waits).
     */
    static WindowEnergy measure(Map<Integer, List<Sample>> byGpu, Instant ws, Instant we, List<Req> requests,
            Duration maxGap) {
        double measured = 0;
        double idle = 0;
        double covered = 0;
        int resets = 0;
        boolean any = false;
        for (List<Sample> gpu : byGpu.values()) {
            Instant firstAt = gpu.get(0).at();
            Instant lastAt = gpu.get(gpu.size() - 1).at();
            if (!firstAt.isBefore(we) || lastAt.isBefore(ws.minus(GPU_GONE_AFTER))) {
                continue; // the GPU reports only after the window, or stopped reporting long before it
            }
            if (lastAt.isBefore(we)) {
                return null; // this GPU's samples up to the window's end have not arrived yet
            }
            any = true;
            for (int i = 0; i + 1 < gpu.size(); i++) {
                Sample a = gpu.get(i);
                Sample b = gpu.get(i + 1);
                double s = seconds(max(a.at(), ws), min(b.at(), we));
                if (s <= 0) {
                    continue;
                }
                if (Duration.between(a.at(), b.at()).compareTo(maxGap) > 0) {
                    return null; // a gap in this GPU's samples: its energy there is unknown
                }
                BigDecimal delta = b.joulesTotal().subtract(a.joulesTotal());
                if (delta.signum() < 0) {
                    // the counter restarted between the two samples: what it counted since is the energy known
                    delta = b.joulesTotal();
                    resets++;
                }
                double power = delta.doubleValue() / seconds(a.at(), b.at());
                measured += power * s;
                idle += power * (s - busySeconds(requests, max(a.at(), ws), min(b.at(), we)));
                covered += s;
            }
        }
        return any ? new WindowEnergy(measured, Math.max(0, Math.min(idle, measured)), covered, resets) : null;
    }

    /** Seconds of [from, to) during which at least one request was in flight (union of intervals). */
    static double busySeconds(List<Req> requests, Instant from, Instant to) {
        List<Instant[]> spans = new ArrayList<>();
        for (Req r : requests) {
            Instant s = max(r.start(), from);
            Instant e = min(r.end(), to);
            if (e.isAfter(s)) {
                spans.add(new Instant[] {s, e});
            }
        }
        spans.sort((x, y) -> x[0].compareTo(y[0]));
        double busy = 0;
        Instant curStart = null;
        Instant curEnd = null;
        for (Instant[] span : spans) {
            if (curEnd == null || span[0].isAfter(curEnd)) {
                if (curEnd != null) {
                    busy += seconds(curStart, curEnd);
                }
                curStart = span[0];
                curEnd = span[1];
            } else if (span[1].isAfter(curEnd)) {
                curEnd = span[1];
            }
        }
        if (curEnd != null) {
            busy += seconds(curStart, curEnd);
        }
        return busy;
    }

    /** Share of a request's time inside [ws, we); a zero-length request counts whole in the window holding it. */
    static double overlapShare(Req r, Instant ws, Instant we) {
        double duration = seconds(r.start(), r.end());
        if (duration == 0) {
            return !r.start().isBefore(ws) && r.start().isBefore(we) ? 1 : 0;
        }
        return Math.max(0, seconds(max(r.start(), ws), min(r.end(), we))) / duration;
    }

    private List<UUID> attribute(UUID tenantId, String nodeId, Instant ws, WindowEnergy energy, List<Req> all) {
        Instant we = ws.plus(window);
        List<Req> in = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        List<Double> times = new ArrayList<>();
        double totalWeight = 0;
        double totalTime = 0;
        for (Req r : all) {
            double share = overlapShare(r, ws, we);
            if (share <= 0) {
                continue;
            }
            double estimated = recorder.estimateGpu(r.workload(), r.in(), r.out(), r.occupancy()).joules();
            double weight = estimated * share;
            double time = Math.max(0, seconds(max(r.start(), ws), min(r.end(), we)));
            in.add(r);
            weights.add(weight);
            times.add(time);
            totalWeight += weight;
            totalTime += time;
        }
        double busy = energy.measured() - energy.idle();
        boolean proRata = idlePolicy == IdlePolicy.PRO_RATA;
        UUID windowId = UUID.randomUUID();
        BigDecimal attributed = BigDecimal.ZERO;
        BigDecimal estimatedTotal = BigDecimal.ZERO;
        // the window's attributions, one array per column: written with one statement below
        UUID[] requestIds = new UUID[in.size()];
        String[][] joulesColumns = new String[4][in.size()]; // weight, busy, idle, time rule
        for (int k = 0; k < in.size(); k++) {
            double tokenShare = totalWeight > 0 ? weights.get(k) / totalWeight : 0;
            // the time rule (share of request-seconds) bounds the range; with no duration it is the token rule
            double timeShare = totalTime > 0 ? times.get(k) / totalTime : tokenShare;
            BigDecimal b = joules(busy * tokenShare);
            BigDecimal i = proRata ? joules(energy.idle() * tokenShare) : BigDecimal.ZERO;
            BigDecimal t = joules(busy * timeShare + (proRata ? energy.idle() * timeShare : 0));
            BigDecimal w = joules(weights.get(k));
            attributed = attributed.add(b).add(i);
            estimatedTotal = estimatedTotal.add(w);
            requestIds[k] = in.get(k).id();
            joulesColumns[0][k] = w.toPlainString();
            joulesColumns[1][k] = b.toPlainString();
            joulesColumns[2][k] = i.toPlainString();
            joulesColumns[3][k] = t.toPlainString();
        }
        BigDecimal measured = joules(energy.measured());
        BigDecimal idle = joules(energy.idle());
        if (attributed.compareTo(measured) > 0) { // rounding of many shares: never attribute more than measured
            attributed = measured;
        }
        BigDecimal idleCapacity = proRata ? BigDecimal.ZERO : idle.min(measured.subtract(attributed));
        BigDecimal residual = measured.subtract(attributed).subtract(idleCapacity);
        jdbc.sql("""
                insert into measurement_windows (id, tenant_id, node_id, window_start, window_end, idle_policy,
                    gpu_seconds_covered, counter_resets, energy_joules_measured, energy_joules_idle,
                    energy_joules_attributed, energy_joules_idle_capacity, energy_joules_residual,
                    energy_joules_estimated, requests, processed_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(windowId, tenantId, nodeId, Timestamp.from(ws), Timestamp.from(we), idlePolicy.name(),
                        BigDecimal.valueOf(energy.gpuSecondsCovered()).setScale(6, RoundingMode.HALF_EVEN),
                        energy.resets(), measured, idle, attributed, idleCapacity, residual, estimatedTotal,
                        in.size(), Timestamp.from(clock.instant()))
                .update();
        if (requestIds.length > 0) {
            jdbc.sql("""
                    insert into measured_attributions (window_id, tenant_id, inference_request_id, weight_joules,
                        energy_joules_busy, energy_joules_idle, energy_joules_time_rule)
                    select ?, ?, a.request_id, a.weight::numeric, a.busy::numeric, a.idle::numeric, a.time_rule::numeric
                      from unnest(cast(? as uuid[]), cast(? as text[]), cast(? as text[]), cast(? as text[]),
                                  cast(? as text[])) as a (request_id, weight, busy, idle, time_rule)""")
                    .params(windowId, tenantId, requestIds, joulesColumns[0], joulesColumns[1], joulesColumns[2],
                            joulesColumns[3])
                    .update();
        }
        return in.stream().map(Req::id).toList();
    }

    /**
     * Restates a request with its measured energy once every window its interval overlaps on its node is
     * attributed; false when a window is still missing or the request was already restated.
     */
    private boolean restate(UUID tenantId, String nodeId, UUID requestId) {
        if (jdbc.sql("select count(*) from measured_requests where inference_request_id = ?").param(requestId)
                .query(Long.class).single() > 0) {
            return false;
        }
        Req r = jdbc.sql("""
                select r.id, r.input_tokens, r.output_tokens, r.started_at, r.ended_at, r.workload_id
                  from inference_requests r where r.id = ?""").param(requestId)
                .query((rs, n) -> new Req(rs.getObject("id", UUID.class), null, rs.getLong("input_tokens"),
                        rs.getLong("output_tokens"), rs.getTimestamp("started_at").toInstant(),
                        rs.getTimestamp("ended_at").toInstant(), null))
                .single();
        Instant first = floor(r.start());
        Instant last = r.end().isAfter(r.start()) ? floor(r.end().minusNanos(1)) : first;
        long needed = Duration.between(first, last).dividedBy(window) + 1;
        long present = jdbc.sql("""
                select count(*) from measurement_windows
                 where tenant_id = ? and node_id = ? and window_start >= ? and window_start <= ?""")
                .params(tenantId, nodeId, Timestamp.from(first), Timestamp.from(last)).query(Long.class).single();
        if (present < needed) {
            return false;
        }
        int windowCount = jdbc.sql("select count(*) from measured_attributions where inference_request_id = ?")
                .param(requestId).query(Integer.class).single();
        EmissionsRecorder.Calculation calc = measuredCalculation(tenantId, nodeId, requestId, null);
        int version = jdbc.sql("select max(version) from emission_records where inference_request_id = ?")
                .param(requestId).query(Integer.class).single();
        UUID recordId = recorder.insert(tenantId, requestId, version + 1, calc);
        jdbc.sql("""
                insert into measured_requests (inference_request_id, tenant_id, emission_record_id, windows,
                    restated_at) values (?, ?, ?, ?, ?)""")
                .params(requestId, tenantId, recordId, Math.max(1, windowCount), Timestamp.from(clock.instant()))
                .update();
        return true;
    }

    /**
     * A measured request's calculation from its attributed shares: the token rule's joules, the range spanned by the
     * token and time rules; priced with {@code factor}, or the factor valid at its end when null.
     */
    EmissionsRecorder.Calculation measuredCalculation(UUID tenantId, String nodeId, UUID requestId,
            org.carbonledger.emissions.GridFactors.Factor factor) {
        Req r = jdbc.sql("select started_at, ended_at from inference_requests where id = ?").param(requestId)
                .query((rs, n) -> new Req(requestId, null, 0, 0, rs.getTimestamp(1).toInstant(),
                        rs.getTimestamp(2).toInstant(), null))
                .single();
        Req full = requests(tenantId, nodeId, r.start(), r.end().plusNanos(1000)).stream()
                .filter(x -> x.id().equals(requestId)).findFirst().orElseThrow();
        record Sums(BigDecimal token, BigDecimal time) {
        }
        Sums sums = jdbc.sql("""
                select coalesce(sum(energy_joules_busy + energy_joules_idle), 0) as token,
                       coalesce(sum(energy_joules_time_rule), 0) as time
                  from measured_attributions where inference_request_id = ?""").param(requestId)
                .query((rs, n) -> new Sums(rs.getBigDecimal("token"), rs.getBigDecimal("time")))
                .single();
        double token = sums.token().doubleValue();
        double time = sums.time().doubleValue();
        return factor == null
                ? recorder.measured(full.workload(), full.in(), full.out(), full.occupancy(), token,
                        Math.min(token, time), Math.max(token, time), full.end())
                : recorder.measured(full.workload(), full.in(), full.out(), full.occupancy(), token,
                        Math.min(token, time), Math.max(token, time), factor, full.end());
    }

    /**
     * One attributed window with its reconciliation, as listed to the tenant. {@code lateSamples}: samples of the
     * node timed inside the window (its ends included) that were received after it was attributed — the window's
     * figures do not include them (a window is attributed once).
     */
    public record Window(UUID id, String nodeId, Instant windowStart, Instant windowEnd, String idlePolicy,
            BigDecimal gpuSecondsCovered, int counterResets, BigDecimal energyJoulesMeasured,
            BigDecimal energyJoulesIdle, BigDecimal energyJoulesAttributed, BigDecimal energyJoulesIdleCapacity,
            BigDecimal energyJoulesResidual, BigDecimal energyJoulesEstimated, int requests, Instant processedAt,
            int lateSamples) {
    }

    /** A tenant's attributed windows in (window start, id) order, optionally of one node. */
    public PageRequest.Page<Window> windows(UUID tenantId, String nodeId, PageRequest page) {
        PageRequest.Cursor after = page.ascendingAfter();
        List<Window> rows = jdbc.sql("""
                select w.*,
                       (select count(*) from energy_measurements m
                         where m.tenant_id = w.tenant_id and m.node_id = w.node_id
                           and m.sampled_at >= w.window_start and m.sampled_at <= w.window_end
                           and m.received_at > w.processed_at) as late_samples
                  from measurement_windows w
                 where w.tenant_id = ? and (cast(? as text) is null or w.node_id = ?)
                   and (w.window_start, w.id) > (?, ?)
                 order by w.window_start, w.id limit ?""")
                .params(tenantId, nodeId, nodeId, Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query((rs, n) -> new Window(rs.getObject("id", UUID.class), rs.getString("node_id"),
                        rs.getTimestamp("window_start").toInstant(), rs.getTimestamp("window_end").toInstant(),
                        rs.getString("idle_policy"), rs.getBigDecimal("gpu_seconds_covered"),
                        rs.getInt("counter_resets"), rs.getBigDecimal("energy_joules_measured"),
                        rs.getBigDecimal("energy_joules_idle"), rs.getBigDecimal("energy_joules_attributed"),
                        rs.getBigDecimal("energy_joules_idle_capacity"), rs.getBigDecimal("energy_joules_residual"),
                        rs.getBigDecimal("energy_joules_estimated"), rs.getInt("requests"),
                        rs.getTimestamp("processed_at").toInstant(), rs.getInt("late_samples")))
                .list();
        return page.page(rows, w -> new PageRequest.Cursor(w.windowStart(), w.id()));
    }

    private static BigDecimal joules(double j) {
        return BigDecimal.valueOf(j).setScale(6, RoundingMode.HALF_EVEN);
    }

    static double seconds(Instant a, Instant b) {
        return Duration.between(a, b).toNanos() / 1e9;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
