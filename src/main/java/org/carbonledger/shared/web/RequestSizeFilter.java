package org.carbonledger.shared.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Request-size limits on {@code /v1}: a declared {@code Content-Length} above the limit is refused at once, a body
 * without one is cut off when it passes the limit. Either way the answer is a {@code 413} problem. Receipt
 * verification takes PDFs and telemetry takes batches, so they have their own, larger limits (telemetry's is that of
 * its admission control, {@code carbonledger.telemetry.max-body-bytes}, which also bounds what is read before it).
 */
@Component
@Order(-90)
class RequestSizeFilter extends OncePerRequestFilter {

    static final String VERIFY_PATH = "/v1/receipts/verify";

    private final long maxBytes;
    private final long maxPdfBytes;
    private final long maxTelemetryBytes;

    RequestSizeFilter(@Value("${carbonledger.api.max-request-size:1MB}") DataSize max,
            @Value("${carbonledger.api.max-receipt-size:21MB}") DataSize maxPdf,
            @Value("${carbonledger.telemetry.max-body-bytes:4194304}") long maxTelemetry) {
        this.maxBytes = max.toBytes();
        this.maxPdfBytes = maxPdf.toBytes();
        this.maxTelemetryBytes = maxTelemetry;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !ScopeInterceptor.isApi(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        long limit = path.equals(VERIFY_PATH) ? maxPdfBytes
                : path.startsWith("/v1/telemetry/") || path.equals("/v1/traces") ? maxTelemetryBytes : maxBytes;
        if (request.getContentLengthLong() > limit) {
            ProblemResponses.write(response, tooLarge(limit));
            return;
        }
        try {
            chain.doFilter(new Limited(request, limit), response);
        } catch (IOException | ServletException e) {
            // a filter after this one (not a handler, whose exceptions the problem handler answers) read past the limit
            if (!(e instanceof TooLarge) && !(e.getCause() instanceof TooLarge) || response.isCommitted()) {
                throw e;
            }
            response.resetBuffer();
            ProblemResponses.write(response, tooLarge(limit));
        }
    }

    static ApiProblem tooLarge(long limit) {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Content too large",
                "the request body is larger than " + limit + " bytes", "body");
    }

    /** Thrown by the limited stream; the problem handler answers it with {@code 413}. */
    public static final class TooLarge extends IOException {
        private final long limit;

        TooLarge(long limit) {
            super("request body larger than " + limit + " bytes");
            this.limit = limit;
        }

        public ApiProblem problem() {
            return tooLarge(limit);
        }
    }

    private static final class Limited extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;

        Limited(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long count;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0) {
                            check(1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        int n = in.read(buffer, offset, length);
                        if (n > 0) {
                            check(n);
                        }
                        return n;
                    }

                    private void check(int n) throws IOException {
                        count += n;
                        if (count > limit) {
                            throw new TooLarge(limit);
                        }
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
