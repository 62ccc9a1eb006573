package org.carbonledger.shared.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * {@code Idempotency-Key} on every {@code POST /v1/...}: the first request with a key runs and its response (status,
 * type, body) is kept for {@value #RETENTION_HOURS} hours; a replay with the same method, path and body gets that
 * response back ({@code Idempotent-Replayed: true}); the same key with a different request is {@code 422}; a replay
 * while the first is still running is {@code 409}. Keys belong to the tenant (or to the operators), so two tenants
 * never collide. A {@code 5xx} answer is not kept: the request may be retried with the same key.
 */
@Component
@Order(20)
class IdempotencyFilter extends OncePerRequestFilter {

    static final String HEADER = "Idempotency-Key";
    static final int RETENTION_HOURS = 24;

    private final JdbcClient jdbc;
    private final Clock clock;

    IdempotencyFilter(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !ScopeInterceptor.isApi(request)
                || request.getHeader(HEADER) == null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!(request.getAttribute(CallerContext.ATTRIBUTE) instanceof Caller caller)) {
            chain.doFilter(request, response); // unauthenticated endpoints create nothing
            return;
        }
        String key = request.getHeader(HEADER);
        if (key.isBlank() || key.length() > 255) {
            ProblemResponses.write(response, ApiProblem.invalid(HEADER, "must be 1 to 255 characters"));
            return;
        }
        byte[] body;
        try {
            body = request.getInputStream().readAllBytes();
        } catch (RequestSizeFilter.TooLarge e) {
            ProblemResponses.write(response, e.problem());
            return;
        }
        byte[] hash = hash(request, body);
        String owner = caller.owner();
        var now = clock.instant();
        jdbc.sql("delete from idempotency_records where owner = ? and created_at < ?")
                .params(owner, Timestamp.from(now.minus(Duration.ofHours(RETENTION_HOURS)))).update();
        int inserted = jdbc.sql("""
                insert into idempotency_records (owner, idempotency_key, request_sha256, created_at)
                values (?, ?, ?, ?) on conflict do nothing""")
                .params(owner, key, hash, Timestamp.from(now)).update();
        if (inserted == 0) {
            answerFromRecord(owner, key, hash, response);
            return;
        }
        var cached = new ContentCachingResponseWrapper(response);
        boolean keep = false;
        try {
            chain.doFilter(new CachedBodyRequest(request, body), cached);
            keep = cached.getStatus() < 500;
        } finally {
            if (keep) {
                jdbc.sql("""
                        update idempotency_records set status = ?, content_type = ?, response_body = ?, completed_at = ?
                         where owner = ? and idempotency_key = ?""")
                        .params(cached.getStatus(), cached.getContentType(), cached.getContentAsByteArray(),
                                Timestamp.from(clock.instant()), owner, key)
                        .update();
            } else {
                jdbc.sql("delete from idempotency_records where owner = ? and idempotency_key = ?")
                        .params(owner, key).update();
            }
            cached.copyBodyToResponse();
        }
    }

    private record Stored(byte[] hash, Integer status, String contentType, byte[] body) {
    }

    private void answerFromRecord(String owner, String key, byte[] hash, HttpServletResponse response)
            throws IOException {
        var stored = jdbc.sql("""
                select request_sha256, status, content_type, response_body from idempotency_records
                 where owner = ? and idempotency_key = ?""")
                .params(owner, key)
                .query((rs, n) -> new Stored(rs.getBytes(1), (Integer) rs.getObject(2), rs.getString(3),
                        rs.getBytes(4)))
                .optional();
        if (stored.isEmpty() || stored.get().status() == null) {
            ProblemResponses.write(response, new ApiProblem(HttpStatus.CONFLICT, "Request in progress",
                    "a request with this Idempotency-Key is still being processed; retry later", HEADER));
            return;
        }
        if (!Arrays.equals(stored.get().hash(), hash)) {
            ProblemResponses.write(response, new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT,
                    "Idempotency-Key reused", "this Idempotency-Key was used for a different request", HEADER));
            return;
        }
        response.setStatus(stored.get().status());
        response.setHeader("Idempotent-Replayed", "true");
        if (stored.get().contentType() != null) {
            response.setContentType(stored.get().contentType());
        }
        byte[] body = stored.get().body() == null ? new byte[0] : stored.get().body();
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static byte[] hash(HttpServletRequest request, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((request.getMethod() + " " + request.getRequestURI() + "?"
                    + (request.getQueryString() == null ? "" : request.getQueryString()) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            return digest.digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
