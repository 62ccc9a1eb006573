package org.carbonledger.telemetry;

import java.time.Instant;
import java.util.UUID;
import org.carbonledger.workload.Workload;

/** One inference request as stored: {@code id} is ours, {@code requestId} the caller's. */
public record MeteredRequest(UUID id, String requestId, Workload workload, long inputTokens, long outputTokens,
        Instant startedAt, Instant endedAt) {
}
