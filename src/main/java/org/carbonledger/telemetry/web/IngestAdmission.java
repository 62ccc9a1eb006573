package org.carbonledger.telemetry.web;

import org.carbonledger.shared.web.CachedBodyRequest;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Admission control of the telemetry endpoints. At most {@code max-concurrent} ingest calls run at once; a call that
 * finds no free slot within {@code admission-wait} is answered {@code 429} with {@code Retry-After}. A body longer
 * than {@code max-body-bytes} is answered {@code 413}. The body is read here, inside the slot, so the memory held by
 * request bodies is at most {@code max-concurrent × max-body-bytes}; waiting calls hold no body.
 */
@Component
class IngestAdmission extends OncePerRequestFilter {

    private final Semaphore slots;
    private final int maxConcurrent;
    private final long waitMillis;
    private final int maxBodyBytes;
    private final int retryAfterSeconds;

    IngestAdmission(@Value("${carbonledger.telemetry.max-concurrent:4}") int maxConcurrent,
            @Value("${carbonledger.telemetry.admission-wait-millis:250}") long waitMillis,
            @Value("${carbonledger.telemetry.max-body-bytes:4194304}") int maxBodyBytes,
            @Value("${carbonledger.telemetry.retry-after-seconds:1}") int retryAfterSeconds) {
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxConcurrent = maxConcurrent;
        this.waitMillis = waitMillis;
        this.maxBodyBytes = maxBodyBytes;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    int maxBodyBytes() {
        return maxBodyBytes;
    }

    int maxConcurrent() {
        return maxConcurrent;
    }

    /** The slots, for tests that saturate ingest deterministically. */
    Semaphore slots() {
        return slots;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !request.getMethod().equals("POST")
                || !(path.startsWith("/v1/telemetry/") || path.equals("/v1/traces"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBodyBytes) {
            tooLarge(response);
            return;
        }
        boolean admitted;
        try {
            admitted = slots.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admitted = false;
        }
        if (!admitted) {
            response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfterSeconds));
            problem(response, 429, "Too many requests", "ingest is saturated (" + maxConcurrent
                    + " calls in progress); retry after " + retryAfterSeconds + " s");
            return;
        }
        try {
            byte[] body = read(request.getInputStream());
            if (body == null) {
                tooLarge(response);
                return;
            }
            chain.doFilter(new CachedBodyRequest(request, body), response);
        } finally {
            slots.release();
        }
    }

    private byte[] read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[16384];
        int total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            total += n;
            if (total > maxBodyBytes) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private void tooLarge(HttpServletResponse response) throws IOException {
        response.setHeader(HttpHeaders.CONNECTION, "close");
        problem(response, 413, "Content too large", "the request body is larger than " + maxBodyBytes + " bytes");
    }

    private static void problem(HttpServletResponse response, int status, String title, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\",\"field\":\"body\"}");
    }
}
