package org.carbonledger.shared.web;

import io.github.bucket4j.ConsumptionProbe;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/** Per-key rate limits on {@code /v1}: {@code 429} with {@code Retry-After} (seconds) when a bucket is empty. */
@Component
@Order(10)
class RateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;

    RateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !ScopeInterceptor.isApi(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        RateLimiter.Kind kind = path.startsWith("/v1/telemetry/") ? RateLimiter.Kind.INGEST : RateLimiter.Kind.API;
        String who = request.getAttribute(CallerContext.ATTRIBUTE) instanceof Caller caller
                ? "key:" + caller.keyId() : "address:" + request.getRemoteAddr();
        ConsumptionProbe probe = limiter.consume(who, kind);
        response.setHeader("RateLimit-Remaining", Long.toString(probe.getRemainingTokens()));
        if (!probe.isConsumed()) {
            long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(probe.getNanosToWaitForRefill()) + 1);
            response.setHeader("Retry-After", Long.toString(seconds));
            ProblemResponses.write(response, new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, "Too many requests",
                    "the rate limit of this API key is reached; retry after " + seconds + " s", null));
            return;
        }
        chain.doFilter(request, response);
    }
}
