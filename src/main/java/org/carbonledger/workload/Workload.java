package org.carbonledger.workload;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * A model served on given hardware in a region; {@code pue} is null when the provider default applies.
 * {@code servingSince} (at or before {@code createdAt}) is when it started serving: no request of it starts earlier.
 */
public record Workload(UUID id, UUID tenantId, String name, String model, BigDecimal modelParamsBillion,
        String gpuModel, int gpuCount, String region, BigDecimal pue, Instant createdAt, Instant servingSince) {
}
