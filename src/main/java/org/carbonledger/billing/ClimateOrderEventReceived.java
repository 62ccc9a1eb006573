package org.carbonledger.billing;

import java.time.Instant;

/**
 * A verified Stripe {@code climate.order.*} event, handed to the offsets module inside the inbox's transaction: the
 * event's id, type and creation time, and the order as the event carries it.
 */
public record ClimateOrderEventReceived(String eventId, String type, Instant created,
        com.stripe.model.climate.Order order) {

    public String orderId() {
        return order.getId();
    }

    public String orderStatus() {
        return order.getStatus();
    }
}
