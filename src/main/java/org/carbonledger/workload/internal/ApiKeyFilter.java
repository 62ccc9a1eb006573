package org.carbonledger.workload.internal;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.ProblemResponses;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <key>} on {@code /v1/**} and the actuator. On {@code /v1} a key, when
 * sent, must be valid ({@code 401} otherwise); whether the endpoint needs one, and which scope, is
 * {@link org.carbonledger.shared.web.ScopeInterceptor}'s decision. Actuator endpoints other than health need an
 * operator key. Stripe webhooks send no key (their signature is checked instead).
 */
@Component
@Order(0)
class ApiKeyFilter extends OncePerRequestFilter {

    private final ApiKeys apiKeys;

    ApiKeyFilter(ApiKeys apiKeys) {
        this.apiKeys = apiKeys;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = path(request);
        return !path.startsWith("/v1/") && !(path.startsWith("/actuator") && !isHealth(path));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean actuator = !path(request).startsWith("/v1/");
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null && !actuator) {
            chain.doFilter(request, response);
            return;
        }
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthorized(response, "missing API key: send Authorization: Bearer <key>");
            return;
        }
        var caller = apiKeys.resolve(header.substring(7).trim());
        if (caller.isEmpty()) {
            unauthorized(response, "the API key is unknown, revoked or expired");
            return;
        }
        if (actuator && !caller.get().has(Scope.OPERATOR)) {
            ProblemResponses.write(response, new ApiProblem(HttpStatus.FORBIDDEN, "Scope required",
                    "actuator endpoints other than health need a key with the 'operator' scope", null));
            return;
        }
        CallerContext.set(request, caller.get());
        chain.doFilter(request, response);
    }

    private static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }

    private static boolean isHealth(String path) {
        return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        ProblemResponses.write(response, ApiProblem.unauthorized(detail));
    }

}
