package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** Credits held by the operator: one serial number per tonne CO2e, {@code serialFirst..serialLast} inclusive. */
public record OffsetLot(UUID id, Registry registry, String projectId, String projectName, Kind kind, int vintage,
        String serialPrefix, long serialFirst, long serialLast, long retiredTonnes, BigDecimal pricePerTonne,
        String currency, Instant createdAt) {

    public enum Registry { VERRA, GOLD_STANDARD, PURO_EARTH, OTHER }

    public enum Kind { REMOVAL, AVOIDANCE }

    public long quantityTonnes() {
        return serialLast - serialFirst + 1;
    }

    public long availableTonnes() {
        return quantityTonnes() - retiredTonnes;
    }
}
