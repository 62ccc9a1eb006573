package org.carbonledger.shared.web;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Token buckets (Bucket4j) per API key: one for ingest ({@code /v1/telemetry/...}), one for the rest of the API;
 * requests without a key share a bucket per remote address. A bucket holds a minute's allowance and refills
 * continuously. Limits apply to buckets created after they are set.
 */
@Component
public class RateLimiter {

    public enum Kind { API, INGEST }

    /** Requests per minute per key. */
    public record Limits(long apiPerMinute, long ingestPerMinute) {
        public Limits {
            if (apiPerMinute < 1 || ingestPerMinute < 1) {
                throw new IllegalArgumentException("rate limits are at least 1 per minute");
            }
        }
    }

    private static final int MAX_BUCKETS = 100_000;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private volatile Limits limits;

    RateLimiter(@Value("${carbonledger.rate-limit.api-per-minute:600}") long apiPerMinute,
            @Value("${carbonledger.rate-limit.ingest-per-minute:300}") long ingestPerMinute) {
        this.limits = new Limits(apiPerMinute, ingestPerMinute);
    }

    public Limits limits() {
        return limits;
    }

    public void limits(Limits limits) {
        this.limits = limits;
    }

    /** Takes one token of the caller's bucket of that kind. */
    public ConsumptionProbe consume(String caller, Kind kind) {
        if (buckets.size() > MAX_BUCKETS) {
            buckets.clear(); // bounded memory; an evicted bucket restarts full
        }
        long perMinute = kind == Kind.INGEST ? limits.ingestPerMinute() : limits.apiPerMinute();
        Bucket bucket = buckets.computeIfAbsent(kind + ":" + caller, k -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))
                        .build())
                .build());
        return bucket.tryConsumeAndReturnRemaining(1);
    }
}
