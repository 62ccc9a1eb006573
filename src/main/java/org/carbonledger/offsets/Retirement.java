package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * Credits of a lot retired for a tenant — at invoice payment ({@code PAYMENT}) or recorded by the operator from a
 * registry account ({@code REGISTRY}) — with the registry's retirement id, beneficiary, reason and the serial
 * sub-range, and how much of their mass is allocated (to one invoice's emissions, or in all).
 */
public record Retirement(UUID id, UUID tenantId, UUID lotId, OffsetLot.Registry registry, String projectId, String projectName,
        OffsetLot.Kind kind, int vintage, String serialRange, long tonnes, String registryRetirementId,
        Instant retiredAt, BigDecimal gramsAllocated, String beneficiary, String reason, Source source) {

    public enum Source { PAYMENT, REGISTRY }
}
