package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * Credits of one offset product held by the operator: one serial number per tonne CO2e, {@code serialFirst..serialLast}
 * inclusive, in the serial space {@code serialPrefix}; {@code serialBlock} is the block as the registry issued it.
 */
public record OffsetLot(UUID id, UUID productId, Registry registry, String projectId, String projectName, Kind kind,
        int vintage, String serialPrefix, long serialFirst, long serialLast, String serialBlock, long retiredTonnes,
        BigDecimal pricePerTonne, String currency, Instant createdAt) {

    public enum Registry { VERRA, GOLD_STANDARD, PURO_EARTH, OTHER }

    public enum Kind { REMOVAL, AVOIDANCE }

    public long quantityTonnes() {
        return serialLast - serialFirst + 1;
    }

    public long availableTonnes() {
        return quantityTonnes() - retiredTonnes;
    }
}
