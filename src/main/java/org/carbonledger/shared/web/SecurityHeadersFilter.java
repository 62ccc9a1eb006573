package org.carbonledger.shared.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Security headers on every response: no MIME sniffing, no framing, HSTS over TLS, {@code no-store} and a
 * deny-all CSP on API responses, and a same-origin CSP on Swagger UI and on the dashboard (which, holding an API key
 * in its session storage, allows no inline script or style at all).
 */
@Component
@Order(-100)
class SecurityHeadersFilter extends OncePerRequestFilter {

    static final String API_CSP = "default-src 'none'; frame-ancestors 'none'";
    static final String UI_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            + "script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'";
    static final String DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        if (request.isSecure()) {
            response.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        }
        if (path.startsWith("/swagger-ui")) {
            response.setHeader("Content-Security-Policy", UI_CSP);
        } else if (path.equals("/dashboard") || path.startsWith("/dashboard/")) {
            response.setHeader("Content-Security-Policy", DASHBOARD_CSP);
        } else {
            response.setHeader("Content-Security-Policy", API_CSP);
            response.setHeader("Cache-Control", "no-store");
        }
        chain.doFilter(request, response);
    }
}
