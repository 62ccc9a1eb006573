package org.carbonledger.proxy;

import java.time.Instant;
import java.util.UUID;

/**
 * One forwarded call as it is metered (and spooled, as one JSON line, when storage is unavailable). {@code tenantId}
 * is null when the proxy key could not be resolved at the time (storage down, key not yet known): {@code keyHash}
 * (hex SHA-256 of the key, never the key) then resolves it on replay.
 */
public record ProxyCall(UUID tenantId, String keyHash, String requestId, String route, UUID workloadId,
        String method, String path, String model, boolean streamed, int upstreamStatus, long upstreamLatencyMicros,
        long durationMicros, Outcome outcome, UsageSource usageSource, Long inputTokens, Long outputTokens,
        String reason, Instant startedAt, Instant endedAt) {

    /** What became of the call; {@link #billable()} ones become inference requests. */
    public enum Outcome {
        /** The upstream answered 2xx and the response was delivered. */
        METERED,
        /** The upstream answered an error status, or did not answer at all (status 0). */
        FAILED,
        /** The upstream closed the connection before the response was complete. */
        UPSTREAM_ABORTED,
        /** The client went away mid-response; usage up to that point is counted. */
        CLIENT_CANCELLED,
        /** Storage refused the record (e.g. the workload is not the key's tenant's): kept, not billable. */
        REJECTED;

        public boolean billable() {
            return this == METERED || this == CLIENT_CANCELLED;
        }
    }

    /** Where the token counts come from. */
    public enum UsageSource {
        /** The upstream's own usage (response {@code usage}, or the final usage chunk of a stream). */
        REPORTED,
        /** Counted by the proxy from the request and the streamed text, because the upstream gave none. */
        COUNTED,
        /** No usage (failed calls). */
        NONE
    }

    ProxyCall withTenant(UUID tenant) {
        return new ProxyCall(tenant, keyHash, requestId, route, workloadId, method, path, model, streamed,
                upstreamStatus, upstreamLatencyMicros, durationMicros, outcome, usageSource, inputTokens,
                outputTokens, reason, startedAt, endedAt);
    }

    ProxyCall rejected(String why) {
        return new ProxyCall(tenantId, keyHash, requestId, route, workloadId, method, path, model, streamed,
                upstreamStatus, upstreamLatencyMicros, durationMicros, Outcome.REJECTED, usageSource, inputTokens,
                outputTokens, why, startedAt, endedAt);
    }
}
