package org.carbonledger.telemetry.kafka;

import java.time.Instant;
import java.util.UUID;
import org.carbonledger.telemetry.RequestIngest.Item;

/**
 * One checked request record on the telemetry topic (JSON). {@code receivedAt} is the instant the API accepted it;
 * {@code source} the endpoint it came through ({@code rest}, {@code ndjson}, {@code cloudevents}, {@code otlp});
 * {@code nodeId} the node that served it (measured mode), absent from messages written before it was carried.
 */
record TelemetryMessage(UUID tenantId, String source, Instant receivedAt, String requestId, UUID workloadId,
        long inputTokens, long outputTokens, Instant startedAt, Instant endedAt, String traceId, String spanId,
        String nodeId) {

    static TelemetryMessage of(UUID tenantId, String source, Instant receivedAt, Item item) {
        return new TelemetryMessage(tenantId, source, receivedAt, item.requestId(), item.workloadId(),
                item.inputTokens(), item.outputTokens(), item.startedAt(), item.endedAt(), item.traceId(),
                item.spanId(), item.nodeId());
    }

    Item item() {
        return new Item(requestId, workloadId, inputTokens, outputTokens, startedAt, endedAt, traceId, spanId,
                nodeId);
    }

    /** The record key: all requests of a workload go to one partition, in order. */
    String key() {
        return tenantId + "/" + workloadId;
    }
}
