package org.carbonledger.client;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One metered inference request, as {@code POST /v1/telemetry/requests} takes it. {@code requestId} is the identity
 * (per tenant): sending the same record again is answered {@code DUPLICATE} and counted once, which is what makes
 * retries safe.
 */
public record RequestRecord(String requestId, UUID workloadId, long inputTokens, long outputTokens,
        Instant startedAt, Instant endedAt) {

    public RequestRecord {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(workloadId, "workloadId");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(endedAt, "endedAt");
        if (requestId.isBlank()) {
            throw new IllegalArgumentException("requestId is blank");
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative");
        }
    }
}
