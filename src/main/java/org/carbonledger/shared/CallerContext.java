package org.carbonledger.shared;

import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/** The authenticated caller of the current HTTP request (set by the API key filter). */
@Component
public class CallerContext {

    public static final String ATTRIBUTE = CallerContext.class.getName();

    public static void set(HttpServletRequest request, Caller caller) {
        request.setAttribute(ATTRIBUTE, caller);
    }

    public Caller caller() {
        var attributes = (ServletRequestAttributes) RequestContextHolder.getRequestAttributes();
        Object caller = attributes == null ? null : attributes.getRequest().getAttribute(ATTRIBUTE);
        if (caller == null) {
            throw ApiProblem.unauthorized("missing or invalid API key: send Authorization: Bearer <key>");
        }
        return (Caller) caller;
    }

    /** The calling tenant; 403 for an operator key on a tenant endpoint. */
    public UUID requireTenant() {
        Caller caller = caller();
        if (caller.role() != Caller.Role.TENANT) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "Tenant key required",
                    "this endpoint acts for a tenant: use the tenant's API key", null);
        }
        return caller.tenantId();
    }

    public void requireOperator() {
        if (caller().role() != Caller.Role.OPERATOR) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "Operator key required",
                    "this endpoint is for platform operators", null);
        }
    }
}
