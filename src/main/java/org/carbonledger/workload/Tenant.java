package org.carbonledger.workload;

import java.time.Instant;
import java.util.UUID;
import org.carbonledger.shared.Money;

/** A customer of the platform, with its carbon price per tonne. */
public record Tenant(UUID id, String name, Money pricePerTonne, Instant createdAt) {
}
