package org.carbonledger.proxy;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.Caller;
import org.carbonledger.telemetry.RequestIngest;
import org.carbonledger.workload.KeyHolders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Stores metered calls: billable ones go through {@link RequestIngest} (source {@code proxy}, the same validation,
 * identity and dedupe as every other ingest path, emission records in the same transaction), every call goes into
 * {@code proxy_calls} with its upstream status and latency. One transaction per batch, so a batch is stored whole
 * or not at all, and storing it again (a replay) changes nothing.
 */
@Component
public class CallStore {

    private static final Logger log = LoggerFactory.getLogger(CallStore.class);
    static final String SOURCE = "proxy";

    private final JdbcClient jdbc;
    private final RequestIngest ingest;
    private final KeyHolders keys;
    private final Clock clock;

    CallStore(JdbcClient jdbc, RequestIngest ingest, KeyHolders keys, Clock clock) {
        this.jdbc = jdbc;
        this.ingest = ingest;
        this.keys = keys;
        this.clock = clock;
    }

    /** Stores a batch; throws when storage is unavailable (then nothing of the batch is stored). */
    @Transactional
    public void write(List<ProxyCall> calls) {
        Map<UUID, List<ProxyCall>> byTenant = new LinkedHashMap<>();
        for (ProxyCall call : calls) {
            ProxyCall c = call;
            if (c.tenantId() == null) {
                Optional<Caller> holder = keys.byHash(HexFormat.of().parseHex(c.keyHash()));
                if (holder.isEmpty() || holder.get().tenant().isEmpty()) {
                    log.warn("proxy call {} dropped: its proxy key is not a valid tenant key", c.requestId());
                    continue;
                }
                c = c.withTenant(holder.get().tenantId());
            }
            byTenant.computeIfAbsent(c.tenantId(), t -> new ArrayList<>()).add(c);
        }
        for (Map.Entry<UUID, List<ProxyCall>> e : byTenant.entrySet()) {
            List<ProxyCall> stored = meter(e.getKey(), e.getValue());
            for (ProxyCall c : stored) {
                insert(c);
            }
        }
    }

    /** Ingests the billable calls; returns every call, those storage refused marked {@code REJECTED}. */
    private List<ProxyCall> meter(UUID tenantId, List<ProxyCall> calls) {
        List<RequestIngest.Candidate> candidates = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            ProxyCall c = calls.get(i);
            if (c.outcome().billable()) {
                candidates.add(RequestIngest.Candidate.of(new RequestIngest.Item(c.requestId(), c.workloadId(),
                        c.inputTokens(), c.outputTokens(), c.startedAt(), c.endedAt())));
                positions.add(i);
            }
        }
        List<ProxyCall> result = new ArrayList<>(calls);
        if (candidates.isEmpty()) {
            return result;
        }
        RequestIngest.Result r = ingest.checkAndStore(tenantId, candidates, SOURCE, "calls", "");
        for (RequestIngest.ItemResult item : r.items()) {
            if (item.status() == RequestIngest.Outcome.REJECTED) {
                int at = positions.get(item.index());
                result.set(at, result.get(at).rejected(item.field() + ": " + item.reason()));
            }
        }
        return result;
    }

    private void insert(ProxyCall c) {
        jdbc.sql("""
                insert into proxy_calls (id, tenant_id, request_id, route, workload_id, method, path, model, streamed,
                                         upstream_status, upstream_latency_micros, duration_micros, outcome,
                                         usage_source, input_tokens, output_tokens, reason, started_at, ended_at,
                                         recorded_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (tenant_id, request_id) do nothing""")
                .params(org.carbonledger.shared.RowIds.next(), c.tenantId(), c.requestId(), c.route(), c.workloadId(), c.method(),
                        c.path(), c.model(), c.streamed(), c.upstreamStatus(), c.upstreamLatencyMicros(),
                        c.durationMicros(), c.outcome().name(), c.usageSource().name(), c.inputTokens(),
                        c.outputTokens(), c.reason(), Timestamp.from(c.startedAt()), Timestamp.from(c.endedAt()),
                        Timestamp.from(clock.instant()))
                .update();
    }
}
