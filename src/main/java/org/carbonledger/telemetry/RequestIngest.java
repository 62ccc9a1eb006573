package org.carbonledger.telemetry;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Judges and stores batches of request records exactly once per (tenant, requestId), for every
 * {@link IngestTransport}. Each item is judged on its own: valid items are stored, each invalid one is reported with
 * its index, field and reason. The valid items are written with one multi-row insert ({@code on conflict do nothing
 * returning}); their emission records are written in the same transaction by the listeners of
 * {@link RequestsMetered}.
 */
@Service
public class RequestIngest {

    public static final int MAX_BATCH = 1000;
    public static final int MAX_TOKENS = 100_000_000;
    public static final int MAX_REQUEST_ID_LENGTH = 200;

    private static final String INSERT = """
            insert into inference_requests (id, tenant_id, workload_id, request_id, input_tokens, output_tokens,
                                            started_at, ended_at, source, received_at, trace_id, span_id, node_id)
            select r.id, ?, r.workload_id, r.request_id, r.input_tokens, r.output_tokens, r.started_at, r.ended_at,
                   ?, r.received_at, r.trace_id, r.span_id, r.node_id
              from unnest(?::timestamptz[], ?::uuid[], ?::uuid[], ?::text[], ?::bigint[], ?::bigint[],
                          ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[], ?::text[])
                   as r (received_at, id, workload_id, request_id, input_tokens, output_tokens, started_at, ended_at,
                         trace_id, span_id, node_id)
            on conflict (tenant_id, request_id) do nothing
            returning request_id""";

    private final JdbcTemplate jdbc;
    private final Workloads workloads;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    RequestIngest(JdbcTemplate jdbc, Workloads workloads, ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.workloads = workloads;
        this.events = events;
        this.clock = clock;
    }

    /**
     * A request record as received; nulls are reported as missing fields. {@code traceId} and {@code spanId} are the
     * provenance of records derived from OpenTelemetry spans and null otherwise. {@code nodeId} (optional) names the
     * node that served the request, as in the node's GPU energy samples: measured mode attributes that node's energy.
     */
    public record Item(String requestId, UUID workloadId, Long inputTokens, Long outputTokens, Instant startedAt,
            Instant endedAt, String traceId, String spanId, String nodeId) {

        public Item(String requestId, UUID workloadId, Long inputTokens, Long outputTokens, Instant startedAt,
                Instant endedAt, String traceId, String spanId) {
            this(requestId, workloadId, inputTokens, outputTokens, startedAt, endedAt, traceId, spanId, null);
        }

        public Item(String requestId, UUID workloadId, Long inputTokens, Long outputTokens, Instant startedAt,
                Instant endedAt) {
            this(requestId, workloadId, inputTokens, outputTokens, startedAt, endedAt, null, null, null);
        }
    }

    /** An item that could not be decoded into an {@link Item}: the offending field (relative to the item) and why. */
    public record Rejection(String field, String reason) {
    }

    /** One position of a batch: a decoded item or the reason it could not be decoded. */
    public record Candidate(Item item, Rejection rejection) {

        public static Candidate of(Item item) {
            return new Candidate(item, null);
        }

        public static Candidate rejected(String field, String reason) {
            return new Candidate(null, new Rejection(field, reason));
        }
    }

    public enum Outcome { ACCEPTED, DUPLICATE, REJECTED }

    /** What became of the item at {@code index}; {@code field} and {@code reason} are set for rejected items only. */
    public record ItemResult(int index, String requestId, Outcome status, String field, String reason) {
    }

    public record Result(int accepted, int duplicates, int rejected, List<ItemResult> items) {
    }

    /**
     * The judgement of a batch before anything is stored: {@code results} holds the rejected items and the in-batch
     * duplicates (null elsewhere); {@code firstIndexByRequestId} the index of the first valid occurrence of each
     * requestId, in batch order; {@code workloadsById} the tenant's workloads the batch names (absent: unknown).
     */
    public record Checked(ItemResult[] results, Map<String, Integer> firstIndexByRequestId,
            Map<UUID, Workload> workloadsById, Instant receivedAt) {

        /** The items to store, one per requestId. */
        public List<Item> toStore(List<Candidate> candidates) {
            List<Item> items = new ArrayList<>(firstIndexByRequestId.size());
            for (int index : firstIndexByRequestId.values()) {
                items.add(candidates.get(index).item());
            }
            return items;
        }

        /** Completes the results: {@code status} for each item to store, by requestId, then counts. */
        public Result complete(List<Candidate> candidates, Map<String, Outcome> status) {
            int accepted = 0;
            int rejected = 0;
            for (var entry : firstIndexByRequestId.entrySet()) {
                int index = entry.getValue();
                Outcome outcome = status.get(entry.getKey());
                results[index] = new ItemResult(index, entry.getKey(), outcome, null, null);
            }
            for (ItemResult r : results) {
                if (r.status() == Outcome.REJECTED) {
                    rejected++;
                } else if (r.status() == Outcome.ACCEPTED) {
                    accepted++;
                }
            }
            return new Result(accepted, candidates.size() - accepted - rejected, rejected, List.of(results));
        }
    }

    /**
     * Judges every candidate without storing anything: the same validation in every transport. {@code itemPrefix}
     * names an item in field paths (e.g. {@code requests} gives {@code requests[3].endedAt}); {@code recordPath}
     * (e.g. {@code data}) is put before the fields of rejections found here, not before those of decoding
     * rejections.
     */
    public Checked check(UUID tenantId, List<Candidate> candidates, String itemPrefix, String recordPath) {
        if (candidates == null || candidates.isEmpty()) {
            throw ApiProblem.invalid(itemPrefix, "the batch holds no request records");
        }
        if (candidates.size() > MAX_BATCH) {
            throw ApiProblem.invalid(itemPrefix, "a batch holds at most " + MAX_BATCH + " records, got "
                    + candidates.size());
        }
        Instant now = clock.instant();
        // every workload the batch names, with one query
        Set<UUID> named = new HashSet<>();
        for (Candidate c : candidates) {
            if (c != null && c.rejection() == null && c.item() != null && c.item().workloadId() != null) {
                named.add(c.item().workloadId());
            }
        }
        Map<UUID, Workload> workloadsById = workloads.findAll(tenantId, named);
        ItemResult[] results = new ItemResult[candidates.size()];
        List<Integer> valid = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            Rejection rejection = c == null ? new Rejection("", "the record is null") : c.rejection();
            if (rejection == null) {
                rejection = validate(c.item(), workloadsById, now);
                if (rejection != null && !recordPath.isEmpty()) {
                    rejection = new Rejection(recordPath + "." + rejection.field(), rejection.reason());
                }
            }
            if (rejection != null) {
                String at = itemPrefix + "[" + i + "]";
                String field = rejection.field().isEmpty() ? at : at + "." + rejection.field();
                String requestId = c != null && c.item() != null ? c.item().requestId() : null;
                results[i] = new ItemResult(i, requestId, Outcome.REJECTED, field, rejection.reason());
            } else {
                valid.add(i);
            }
        }
        for (int i : withoutGridFactor(candidates, valid, workloadsById)) {
            Item item = candidates.get(i).item();
            String region = workloadsById.get(item.workloadId()).region();
            String field = itemPrefix + "[" + i + "]." + (recordPath.isEmpty() ? "" : recordPath + ".") + "endedAt";
            results[i] = new ItemResult(i, item.requestId(), Outcome.REJECTED, field, "no grid emission factor for "
                    + "region " + region + " is valid at " + item.endedAt());
        }
        Map<String, Integer> firstIndexByRequestId = new LinkedHashMap<>();
        for (int i : valid) {
            if (results[i] == null && firstIndexByRequestId.putIfAbsent(candidates.get(i).item().requestId(), i)
                    != null) {
                results[i] = new ItemResult(i, candidates.get(i).item().requestId(), Outcome.DUPLICATE, null, null);
            }
        }
        return new Checked(results, firstIndexByRequestId, workloadsById, now);
    }

    /**
     * Stores checked items (distinct requestIds of one tenant) exactly once: one multi-row insert
     * ({@code on conflict do nothing returning}) and, for the rows stored for the first time, {@link RequestsMetered}
     * in the caller's transaction, whose listeners write the emission records. Returns the requestIds stored now;
     * the others were stored before. Both transports write through here.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Set<String> store(UUID tenantId, List<Item> items, String source, Instant receivedAt,
            java.util.function.Function<UUID, Workload> workloadOf) {
        return store(tenantId, items, source, item -> receivedAt, workloadOf);
    }

    /**
     * As {@link #store(UUID, List, String, Instant, java.util.function.Function)}, for items received at different
     * instants (a Kafka consumer's poll holds several API calls' batches of one tenant).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Set<String> store(UUID tenantId, List<Item> items, String source,
            java.util.function.Function<Item, Instant> receivedAtOf,
            java.util.function.Function<UUID, Workload> workloadOf) {
        if (items.isEmpty()) {
            return Set.of();
        }
        // rows go in requestId order: concurrent batches with common requestIds lock them in the same order and
        // cannot deadlock
        List<Item> toInsert = new ArrayList<>(items);
        toInsert.sort(java.util.Comparator.comparing(Item::requestId));
        List<UUID> ids = new ArrayList<>(toInsert.size());
        for (int k = 0; k < toInsert.size(); k++) {
            ids.add(org.carbonledger.shared.RowIds.next());
        }
        Set<String> inserted = insert(tenantId, toInsert, ids, source, receivedAtOf);
        List<MeteredRequest> stored = new ArrayList<>(inserted.size());
        for (int k = 0; k < toInsert.size(); k++) {
            Item item = toInsert.get(k);
            if (inserted.contains(item.requestId())) {
                stored.add(new MeteredRequest(ids.get(k), item.requestId(), workloadOf.apply(item.workloadId()),
                        item.inputTokens(), item.outputTokens(), item.startedAt(), item.endedAt()));
            }
        }
        if (!stored.isEmpty()) {
            events.publishEvent(new RequestsMetered(tenantId, List.copyOf(stored)));
        }
        return inserted;
    }

    /** The requestIds among {@code requestIds} already stored for the tenant. */
    public Set<String> alreadyStored(UUID tenantId, java.util.Collection<String> requestIds) {
        if (requestIds.isEmpty()) {
            return Set.of();
        }
        return jdbc.execute((ConnectionCallback<Set<String>>) con -> {
            try (PreparedStatement ps = con.prepareStatement(
                    "select request_id from inference_requests where tenant_id = ? and request_id = any(?)")) {
                ps.setObject(1, tenantId);
                ps.setArray(2, array(con, "text", requestIds.toArray()));
                Set<String> found = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
                return found;
            }
        });
    }

    /** Checks and stores in the caller's transaction: the embedded transport. */
    @Transactional(propagation = Propagation.MANDATORY)
    public Result checkAndStore(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix,
            String recordPath) {
        Checked checked = check(tenantId, candidates, itemPrefix, recordPath);
        List<Item> items = checked.toStore(candidates);
        Set<String> inserted = store(tenantId, items, source, checked.receivedAt(),
                checked.workloadsById()::get);
        Map<String, Outcome> status = new HashMap<>(items.size() * 2);
        for (Item item : items) {
            status.put(item.requestId(), inserted.contains(item.requestId()) ? Outcome.ACCEPTED : Outcome.DUPLICATE);
        }
        return checked.complete(candidates, status);
    }

    private Set<String> insert(UUID tenantId, List<Item> items, List<UUID> ids, String source,
            java.util.function.Function<Item, Instant> receivedAtOf) {
        int n = items.size();
        Object[] id = ids.toArray();
        Object[] received = new Object[n];
        Object[] workload = new Object[n];
        Object[] requestId = new Object[n];
        Object[] input = new Object[n];
        Object[] output = new Object[n];
        Object[] started = new Object[n];
        Object[] ended = new Object[n];
        Object[] trace = new Object[n];
        Object[] span = new Object[n];
        Object[] node = new Object[n];
        for (int k = 0; k < n; k++) {
            Item item = items.get(k);
            received[k] = receivedAtOf.apply(item).toString();
            workload[k] = item.workloadId();
            requestId[k] = item.requestId();
            input[k] = item.inputTokens();
            output[k] = item.outputTokens();
            started[k] = item.startedAt().toString();
            ended[k] = item.endedAt().toString();
            trace[k] = item.traceId();
            span[k] = item.spanId();
            node[k] = item.nodeId();
        }
        return jdbc.execute((ConnectionCallback<Set<String>>) con -> {
            try (PreparedStatement ps = con.prepareStatement(INSERT)) {
                ps.setObject(1, tenantId);
                ps.setString(2, source);
                ps.setArray(3, array(con, "text", received));
                ps.setArray(4, array(con, "uuid", id));
                ps.setArray(5, array(con, "uuid", workload));
                ps.setArray(6, array(con, "text", requestId));
                ps.setArray(7, array(con, "int8", input));
                ps.setArray(8, array(con, "int8", output));
                ps.setArray(9, array(con, "text", started));
                ps.setArray(10, array(con, "text", ended));
                ps.setArray(11, array(con, "text", trace));
                ps.setArray(12, array(con, "text", span));
                ps.setArray(13, array(con, "text", node));
                Set<String> stored = new HashSet<>(n * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        stored.add(rs.getString(1));
                    }
                }
                return stored;
            }
        });
    }

    /**
     * The indexes of the valid items whose workload region has no location-based grid factor valid at their
     * {@code endedAt}: one query for the batch over the emissions module's {@code emission_factors} (a read across
     * modules, decision 0014), with the criteria of {@code GridFactors.locationBased}.
     */
    private List<Integer> withoutGridFactor(List<Candidate> candidates, List<Integer> indexes,
            Map<UUID, Workload> workloadsById) {
        if (indexes.isEmpty()) {
            return List.of();
        }
        Object[] region = new Object[indexes.size()];
        Object[] at = new Object[indexes.size()];
        for (int k = 0; k < indexes.size(); k++) {
            Item item = candidates.get(indexes.get(k)).item();
            region[k] = workloadsById.get(item.workloadId()).region();
            at[k] = item.endedAt().toString();
        }
        List<Integer> missing = jdbc.execute((ConnectionCallback<List<Integer>>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord from unnest(?::text[], ?::timestamptz[]) with ordinality as t (region, at, ord)
                     where not exists (select 1 from emission_factors f
                                        where f.region = t.region and f.basis = 'LOCATION' and f.valid_from <= t.at
                                          and (f.valid_to is null or f.valid_to > t.at))""")) {
                ps.setArray(1, array(con, "text", region));
                ps.setArray(2, array(con, "text", at));
                List<Integer> ords = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ords.add(rs.getInt(1));
                    }
                }
                return ords;
            }
        });
        List<Integer> result = new ArrayList<>(missing.size());
        for (int ord : missing) {
            result.add(indexes.get(ord - 1));
        }
        return result;
    }

    private static Array array(Connection con, String type, Object[] values) throws SQLException {
        return con.createArrayOf(type, values);
    }

    private Rejection validate(Item item, Map<UUID, Workload> workloadsById, Instant now) {
        if (item.requestId() == null || item.requestId().isBlank()) {
            return new Rejection("requestId", "requestId is required");
        }
        if (item.requestId().length() > MAX_REQUEST_ID_LENGTH) {
            return new Rejection("requestId", "requestId is longer than " + MAX_REQUEST_ID_LENGTH + " characters");
        }
        if (item.workloadId() == null) {
            return new Rejection("workloadId", "workloadId is required");
        }
        Workload workload = workloadsById.get(item.workloadId());
        if (workload == null) {
            return new Rejection("workloadId", "workload " + item.workloadId() + " does not exist");
        }
        Rejection tokens = tokens(item.inputTokens(), "inputTokens");
        if (tokens == null) {
            tokens = tokens(item.outputTokens(), "outputTokens");
        }
        if (tokens != null) {
            return tokens;
        }
        if (item.startedAt() == null) {
            return new Rejection("startedAt", "startedAt is required (RFC 3339 timestamp)");
        }
        if (item.endedAt() == null) {
            return new Rejection("endedAt", "endedAt is required (RFC 3339 timestamp)");
        }
        if (item.endedAt().isBefore(item.startedAt())) {
            return new Rejection("endedAt", "endedAt is before startedAt");
        }
        if (item.endedAt().isAfter(now.plusSeconds(300))) {
            return new Rejection("endedAt", "endedAt lies in the future");
        }
        if (item.nodeId() != null && (item.nodeId().isBlank() || item.nodeId().length() > 200)) {
            return new Rejection("nodeId", "nodeId must be 1 to 200 characters when given");
        }
        Instant servingSince = workload.servingSince();
        if (item.startedAt().isBefore(servingSince)) {
            return new Rejection("startedAt", "startedAt " + item.startedAt() + " lies before workload "
                    + item.workloadId() + " existed (serving since " + servingSince + ")");
        }
        return null;
    }

    private static Rejection tokens(Long tokens, String field) {
        if (tokens == null) {
            return new Rejection(field, field + " is required");
        }
        if (tokens < 0 || tokens > MAX_TOKENS) {
            return new Rejection(field, "token count must be between 0 and " + MAX_TOKENS + ", got " + tokens);
        }
        return null;
    }
}
