package org.carbonledger.shared.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Enforces {@link RequiresScope} on {@code /v1} handlers before any argument is resolved, so a key without the scope
 * is {@code 403} whatever the body. Fail-closed: a {@code /v1} handler without a declaration is refused.
 */
public class ScopeInterceptor implements HandlerInterceptor {

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method) || !isApi(request)) {
            return true;
        }
        if (method.hasMethodAnnotation(PublicEndpoint.class)) {
            return true;
        }
        RequiresScope required = method.getMethodAnnotation(RequiresScope.class);
        if (required == null) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "Endpoint not enabled",
                    "this endpoint declares no required scope and is refused", null);
        }
        Object caller = request.getAttribute(CallerContext.ATTRIBUTE);
        if (!(caller instanceof Caller c)) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            throw ApiProblem.unauthorized("missing API key: send Authorization: Bearer <key>");
        }
        if (!c.has(required.value())) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "Scope required",
                    "this endpoint needs a key with the '" + required.value().wire() + "' scope", null);
        }
        return true;
    }

    static boolean isApi(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length()).startsWith("/v1/");
    }
}
