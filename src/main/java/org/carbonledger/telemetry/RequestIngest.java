package org.carbonledger.telemetry;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.GridRegions;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Stores a batch of request records exactly once per (tenant, requestId). The batch is validated whole first: one
 * invalid item rejects the batch and nothing of it is stored. Acknowledged means committed.
 */
@Service
public class RequestIngest {

    public static final int MAX_BATCH = 1000;

    private final JdbcClient jdbc;
    private final Workloads workloads;
    private final GridRegions regions;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    RequestIngest(JdbcClient jdbc, Workloads workloads, GridRegions regions, ApplicationEventPublisher events,
            Clock clock) {
        this.jdbc = jdbc;
        this.workloads = workloads;
        this.regions = regions;
        this.events = events;
        this.clock = clock;
    }

    /** A request record as received; nulls are reported as missing fields. */
    public record Item(String requestId, UUID workloadId, Long inputTokens, Long outputTokens, Instant startedAt,
            Instant endedAt) {
    }

    public enum Outcome { ACCEPTED, DUPLICATE }

    public record ItemResult(int index, String requestId, Outcome status) {
    }

    public record Result(int accepted, int duplicates, List<ItemResult> items) {
    }

    @Transactional
    public Result ingest(UUID tenantId, List<Item> items, String source) {
        if (items == null || items.isEmpty()) {
            throw ApiProblem.invalid("requests", "the batch holds no request records");
        }
        if (items.size() > MAX_BATCH) {
            throw ApiProblem.invalid("requests", "a batch holds at most " + MAX_BATCH + " records, got " + items.size());
        }
        Map<UUID, Workload> workloadsById = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            validate(tenantId, items.get(i), "requests[" + i + "]", workloadsById);
        }
        Instant receivedAt = clock.instant();
        List<ItemResult> results = new ArrayList<>(items.size());
        List<MeteredRequest> stored = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            UUID id = UUID.randomUUID();
            int inserted = jdbc.sql("""
                    insert into inference_requests (id, tenant_id, workload_id, request_id, input_tokens, output_tokens,
                                                    started_at, ended_at, source, received_at)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (tenant_id, request_id) do nothing""")
                    .params(id, tenantId, item.workloadId(), item.requestId(), item.inputTokens(), item.outputTokens(),
                            Timestamp.from(item.startedAt()), Timestamp.from(item.endedAt()), source,
                            Timestamp.from(receivedAt))
                    .update();
            if (inserted == 1) {
                stored.add(new MeteredRequest(id, item.requestId(), workloadsById.get(item.workloadId()),
                        item.inputTokens(), item.outputTokens(), item.startedAt(), item.endedAt()));
                results.add(new ItemResult(i, item.requestId(), Outcome.ACCEPTED));
            } else {
                results.add(new ItemResult(i, item.requestId(), Outcome.DUPLICATE));
            }
        }
        if (!stored.isEmpty()) {
            events.publishEvent(new RequestsMetered(tenantId, List.copyOf(stored)));
        }
        return new Result(stored.size(), items.size() - stored.size(), results);
    }

    private void validate(UUID tenantId, Item item, String at, Map<UUID, Workload> workloadsById) {
        if (item == null) {
            throw ApiProblem.invalid(at, "the record is null");
        }
        if (item.requestId() == null || item.requestId().isBlank()) {
            throw ApiProblem.invalid(at + ".requestId", "requestId is required");
        }
        if (item.requestId().length() > 200) {
            throw ApiProblem.invalid(at + ".requestId", "requestId is longer than 200 characters");
        }
        if (item.workloadId() == null) {
            throw ApiProblem.invalid(at + ".workloadId", "workloadId is required");
        }
        if (!workloadsById.containsKey(item.workloadId())) {
            Workload workload = workloads.find(tenantId, item.workloadId()).orElseThrow(() -> ApiProblem.invalid(
                    at + ".workloadId", "workload " + item.workloadId() + " does not exist"));
            workloadsById.put(workload.id(), workload);
        }
        requireTokens(item.inputTokens(), at + ".inputTokens");
        requireTokens(item.outputTokens(), at + ".outputTokens");
        if (item.startedAt() == null) {
            throw ApiProblem.invalid(at + ".startedAt", "startedAt is required (RFC 3339 timestamp)");
        }
        if (item.endedAt() == null) {
            throw ApiProblem.invalid(at + ".endedAt", "endedAt is required (RFC 3339 timestamp)");
        }
        if (item.endedAt().isBefore(item.startedAt())) {
            throw ApiProblem.invalid(at + ".endedAt", "endedAt is before startedAt");
        }
        if (item.endedAt().isAfter(clock.instant().plusSeconds(300))) {
            throw ApiProblem.invalid(at + ".endedAt", "endedAt lies in the future");
        }
        Workload workload = workloadsById.get(item.workloadId());
        if (!regions.hasFactorAt(workload.region(), item.endedAt())) {
            throw ApiProblem.invalid(at + ".endedAt", "no grid emission factor for region " + workload.region()
                    + " is valid at " + item.endedAt());
        }
    }

    private static void requireTokens(Long tokens, String field) {
        if (tokens == null) {
            throw ApiProblem.invalid(field, field.substring(field.lastIndexOf('.') + 1) + " is required");
        }
        if (tokens < 0 || tokens > 100_000_000L) {
            throw ApiProblem.invalid(field, "token count must be between 0 and 100000000, got " + tokens);
        }
    }
}
