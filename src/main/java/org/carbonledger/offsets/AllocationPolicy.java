package org.carbonledger.offsets;

import java.util.List;
import java.util.UUID;

/**
 * What a tenant's emissions may be covered by: removals only, a minimum vintage, the registries allowed, one catalog
 * product, and in which order lots are retired. A null field does not restrict.
 */
public record AllocationPolicy(boolean removalOnly, Integer minVintage, List<OffsetLot.Registry> registries,
        UUID productId, RetirementOrder retirementOrder) {

    public enum RetirementOrder { OLDEST_VINTAGE_FIRST, NEWEST_VINTAGE_FIRST, LOWEST_PRICE_FIRST }

    public static final AllocationPolicy ANY = new AllocationPolicy(false, null, null, null,
            RetirementOrder.OLDEST_VINTAGE_FIRST);

    /** Why a lot may not cover this tenant's emissions, or null when it may. */
    public String refusal(OffsetLot lot) {
        if (removalOnly && lot.kind() != OffsetLot.Kind.REMOVAL) {
            return "the tenant's policy allows removals only; lot " + lot.id() + " is " + lot.kind();
        }
        if (minVintage != null && lot.vintage() < minVintage) {
            return "lot " + lot.id() + " is of vintage " + lot.vintage() + "; the tenant's policy requires "
                    + minVintage + " or later";
        }
        if (registries != null && !registries.contains(lot.registry())) {
            return "lot " + lot.id() + " is of " + lot.registry() + "; the tenant's policy allows " + registries;
        }
        if (productId != null && !productId.equals(lot.productId())) {
            return "lot " + lot.id() + " is not of product " + productId + " named by the tenant's policy";
        }
        return null;
    }
}
