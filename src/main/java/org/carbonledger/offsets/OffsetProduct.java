package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * An offset product: the credits of one registry project. Lots are held of a product, allocation policies may
 * restrict retirement to one, and tenants priced by product are billed its {@code pricePerTonne} (null: not for sale
 * by product). The {@code provider} decides how credits of it are procured: retired from the operator's registry
 * inventory (lots) or ordered from Stripe Climate ({@code stripeProductId}, {@code deliveryYear}).
 */
public record OffsetProduct(UUID id, OffsetLot.Registry registry, String projectId, String name, OffsetLot.Kind kind,
        String methodology, String country, BigDecimal pricePerTonne, String currency, Instant createdAt,
        OffsetProvider.Kind provider, String stripeProductId, Integer deliveryYear) {
}
