package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;

/**
 * Where credits of an offset product come from. The product's {@link Kind} decides which implementation serves it:
 * the operator's registry inventory (whole credits retired from lots of the product, allocated gram-exactly at once)
 * or Stripe Climate (an order of the exact mass, earmarked as pending for the records until Stripe delivers it).
 */
public interface OffsetProvider {

    enum Kind { REGISTRY_INVENTORY, STRIPE_CLIMATE }

    /** Grams of one emission record the procurement is for. */
    record Earmark(UUID emissionRecordId, BigDecimal co2eGrams) {
    }

    /** What to procure: for a tenant, of a product, for these records' grams (their sum is {@code co2eGrams}). */
    record Request(UUID id, UUID tenantId, OffsetProduct product, BigDecimal co2eGrams, String beneficiary,
            List<Earmark> earmarks) {
    }

    /** {@code RETIRED}: credits retired and allocated now; {@code PENDING}: ordered, covered when delivered. */
    enum State { RETIRED, PENDING }

    /** The outcome: a retirement (registry inventory) or a climate order (Stripe Climate). */
    record Procurement(UUID id, Kind provider, UUID tenantId, UUID productId, BigDecimal co2eGrams, State state,
            UUID retirementId, UUID climateOrderId, String stripeOrderId) {
    }

    Kind kind();

    Procurement procure(Request request);
}
