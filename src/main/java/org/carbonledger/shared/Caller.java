package org.carbonledger.shared;

import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Who is calling the API: an operator of the platform, or a tenant, with the scopes of the key used. Resolved from
 * the API key of the request.
 */
public record Caller(Role role, UUID tenantId, UUID keyId, String keyPrefix, Set<Scope> scopes) {

    public enum Role { OPERATOR, TENANT }

    public Caller {
        if ((role == Role.TENANT) != (tenantId != null)) {
            throw new IllegalArgumentException("a tenant caller has a tenant id, an operator has none");
        }
        scopes = Set.copyOf(scopes);
        if (role == Role.OPERATOR ? !scopes.equals(Set.of(Scope.OPERATOR)) : scopes.contains(Scope.OPERATOR)) {
            throw new IllegalArgumentException("operator keys have the operator scope only, tenant keys never");
        }
    }

    public Optional<UUID> tenant() {
        return Optional.ofNullable(tenantId);
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    /** The owner of idempotency keys and rate-limit buckets: the tenant, or the operators together. */
    public String owner() {
        return role == Role.OPERATOR ? "operator" : "tenant:" + tenantId;
    }
}
