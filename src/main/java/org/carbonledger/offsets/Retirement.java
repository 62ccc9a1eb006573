package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** Credits of a lot retired for a tenant, and how much of their mass is allocated to one invoice's emissions. */
public record Retirement(UUID id, UUID tenantId, UUID lotId, OffsetLot.Registry registry, String projectId, String projectName,
        OffsetLot.Kind kind, int vintage, String serialRange, long tonnes, String registryRetirementId,
        Instant retiredAt, BigDecimal gramsAllocated) {
}
