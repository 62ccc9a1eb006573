package org.carbonledger.workload.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.audit.AuditLog;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.workload.internal.ApiKeys;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The calling tenant's API keys: create with scopes, list, revoke, rotate with overlap. */
@RestController
class ApiKeyController {

    private final ApiKeys apiKeys;
    private final CallerContext callers;
    private final AuditLog audit;

    ApiKeyController(ApiKeys apiKeys, CallerContext callers, AuditLog audit) {
        this.apiKeys = apiKeys;
        this.callers = callers;
        this.audit = audit;
    }

    record CreateApiKey(@NotEmpty(message = "name at least one of ingest, read, billing-admin") @Size(max = 3)
            List<String> scopes) {
    }

    record ApiKeyView(UUID id, String prefix, List<String> scopes, Instant createdAt, Instant lastUsedAt,
            Instant expiresAt, Instant revokedAt) {
        static ApiKeyView of(ApiKeys.KeyInfo k) {
            return new ApiKeyView(k.id(), k.prefix(), k.scopes(), k.createdAt(), k.lastUsedAt(), k.expiresAt(),
                    k.revokedAt());
        }
    }

    record CreatedApiKey(UUID id, String prefix, List<String> scopes, Instant createdAt, String apiKey) {
        static CreatedApiKey of(ApiKeys.Issued issued) {
            return new CreatedApiKey(issued.info().id(), issued.info().prefix(), issued.info().scopes(),
                    issued.info().createdAt(), issued.apiKey());
        }
    }

    @PostMapping("/v1/api-keys")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.BILLING_ADMIN)
    CreatedApiKey create(@Valid @RequestBody CreateApiKey body) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (int i = 0; i < body.scopes().size(); i++) {
            String wire = body.scopes().get(i);
            Scope scope = wire == null ? null : Scope.fromWire(wire).filter(Scope.TENANT_SCOPES::contains)
                    .orElse(null);
            if (scope == null) {
                throw ApiProblem.invalid("scopes[" + i + "]", "'" + wire + "' is not one of ingest, read, billing-admin");
            }
            scopes.add(scope);
        }
        var issued = apiKeys.issue(callers.requireTenant(), scopes);
        audit.record(AuditLog.Action.API_KEY_CREATED, "api-key", issued.info().prefix());
        return CreatedApiKey.of(issued);
    }

    @GetMapping("/v1/api-keys")
    @RequiresScope(Scope.BILLING_ADMIN)
    PageRequest.Page<ApiKeyView> list(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        return apiKeys.list(callers.requireTenant(), PageRequest.of(limit, cursor)).map(ApiKeyView::of);
    }

    /** Revokes the key at once (also the calling key itself). */
    @DeleteMapping("/v1/api-keys/{id}")
    @RequiresScope(Scope.BILLING_ADMIN)
    ApiKeyView revoke(@PathVariable UUID id) {
        var revoked = apiKeys.revoke(callers.requireTenant(), id);
        audit.record(AuditLog.Action.API_KEY_REVOKED, "api-key", revoked.prefix());
        return ApiKeyView.of(revoked);
    }

    /** A new key with the same scopes; the old key expires after the grace period. */
    @PostMapping("/v1/api-keys/{id}/rotate")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.BILLING_ADMIN)
    CreatedApiKey rotate(@PathVariable UUID id) {
        var issued = apiKeys.rotate(callers.requireTenant(), id);
        audit.record(AuditLog.Action.API_KEY_ROTATED, "api-key", issued.info().prefix());
        return CreatedApiKey.of(issued);
    }
}
