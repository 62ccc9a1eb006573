package org.carbonledger.emissions.grid;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * GETs a grid-signal provider's JSON over the JDK HTTP client: bounded attempts with exponential backoff on 429, 5xx
 * and I/O errors (a {@code Retry-After} in seconds is honoured up to the maximum backoff), answers cached per URL
 * for a TTL. When the provider cannot answer, a {@code 503} problem naming it (field {@code provider}).
 */
public final class ProviderHttp {

    /** How many times and how patiently to call a provider. */
    public record Policy(int maxAttempts, Duration backoff, Duration maxBackoff, Duration timeout, Duration cacheTtl) {

        public Policy {
            if (maxAttempts < 1 || backoff.isNegative() || maxBackoff.isNegative() || timeout.isNegative()
                    || timeout.isZero() || cacheTtl.isNegative()) {
                throw new IllegalArgumentException("grid-signal HTTP policy: attempts ≥ 1, durations ≥ 0");
            }
        }
    }

    /** A non-retryable answer (4xx other than 429) the caller may act on (e.g. log in again on 401). */
    public static final class Rejected extends RuntimeException {
        private final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private record Cached(Instant until, JsonNode body) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String provider;
    private final HttpClient http;
    private final Policy policy;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public ProviderHttp(String provider, Policy policy, Clock clock) {
        this.provider = provider;
        this.policy = policy;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(policy.timeout()).build();
    }

    /** The body of a 200 answer as JSON; cached when {@code cacheable}. */
    public JsonNode get(URI uri, Map<String, String> headers, boolean cacheable) {
        String key = uri.toString();
        Cached hit = cache.get(key);
        if (cacheable && hit != null && hit.until().isAfter(clock.instant())) {
            return hit.body();
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(policy.timeout()).GET()
                .header("Accept", "application/json");
        headers.forEach(builder::header);
        JsonNode body = send(builder.build());
        if (cacheable && !policy.cacheTtl().isZero()) {
            Instant now = clock.instant();
            // each sync asks for a new time range, so expired answers are dropped rather than kept for ever
            cache.values().removeIf(c -> !c.until().isAfter(now));
            cache.put(key, new Cached(now.plus(policy.cacheTtl()), body));
        }
        return body;
    }

    JsonNode send(HttpRequest request) {
        String last = "no attempt";
        Duration wait = policy.backoff();
        for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
            Duration retryAfter = null;
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    try {
                        return JSON.readTree(response.body());
                    } catch (JacksonException e) {
                        throw unavailable("answered 200 with a body that is not JSON");
                    }
                }
                if (status != 429 && status < 500) {
                    throw new Rejected(status, provider + " answered " + status + " to " + request.uri().getPath());
                }
                last = "answered " + status;
                retryAfter = response.headers().firstValue("Retry-After").flatMap(ProviderHttp::seconds)
                        .orElse(null);
            } catch (IOException e) {
                last = "unreachable (" + e.getClass().getSimpleName() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("interrupted");
            }
            if (attempt < policy.maxAttempts()) {
                Duration pause = retryAfter != null ? retryAfter : wait;
                sleep(pause.compareTo(policy.maxBackoff()) > 0 ? policy.maxBackoff() : pause);
                wait = wait.multipliedBy(2);
            }
        }
        throw unavailable(last + " after " + policy.maxAttempts() + " attempts");
    }

    public ApiProblem unavailable(String reason) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "Grid signal provider unavailable",
                provider + ": " + reason, "provider");
    }


    private static java.util.Optional<Duration> seconds(String header) {
        try {
            return java.util.Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted");
        }
    }
}
