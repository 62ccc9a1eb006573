package org.carbonledger.billing;

/** A verified Stripe {@code climate.order.*} event, handed to the offsets module. */
public record ClimateOrderEventReceived(String eventId, String type, String orderId, String orderStatus) {
}
