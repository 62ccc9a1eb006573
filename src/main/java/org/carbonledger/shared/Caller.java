package org.carbonledger.shared;

import java.util.Optional;
import java.util.UUID;

/** Who is calling the API: an operator of the platform, or a tenant. Resolved from the API key of the request. */
public record Caller(Role role, UUID tenantId, String keyPrefix) {

    public enum Role { OPERATOR, TENANT }

    public Caller {
        if ((role == Role.TENANT) != (tenantId != null)) {
            throw new IllegalArgumentException("a tenant caller has a tenant id, an operator has none");
        }
    }

    public Optional<UUID> tenant() {
        return Optional.ofNullable(tenantId);
    }
}
