package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.util.UUID;

/** Published after a paid invoice's emissions were covered as far as inventory allowed. */
public record OffsetsAllocated(UUID tenantId, UUID invoiceId, BigDecimal allocatedGrams, BigDecimal uncoveredGrams) {
}
