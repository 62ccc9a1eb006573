package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.util.UUID;

/** Published after the allocations of an invoice whose payment was reversed were compensated. */
public record OffsetsReversed(UUID tenantId, UUID invoiceId, int allocationsReversed, BigDecimal co2eGramsReleased,
        String reason) {
}
