package org.carbonledger.offsets.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.climate.Order;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.billing.ClimateOrderEventReceived;
import org.carbonledger.offsets.OffsetProducts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Applies {@code climate.order.*} events to our orders, in the inbox's transaction (the inbox makes each event id
 * count once). The state applied is the order's, not the event type's, so order of delivery does not matter: an
 * event older than the newest applied to the order is answered with the order as Stripe has it now, and DELIVERED
 * and CANCELED are final (the database refuses to leave them). Delivered: the deliveries are recorded and the
 * pending earmarks become retired. Canceled: the earmarks are released and the order flagged. Delayed or product
 * substituted: the order stays pending and is flagged, with the new expected year or product.
 */
@Component
class ClimateOrderLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ClimateOrderLifecycle.class);

    private final JdbcClient jdbc;
    private final ObjectProvider<StripeClient> client;
    private final OffsetProducts products;
    private final java.time.Clock clock;

    ClimateOrderLifecycle(JdbcClient jdbc, ObjectProvider<StripeClient> client, OffsetProducts products,
            java.time.Clock clock) {
        this.jdbc = jdbc;
        this.client = client;
        this.products = products;
        this.clock = clock;
    }

    private record Ours(UUID id, String status, Instant newestEvent) {
    }

    static String status(Order order) {
        return order.getStatus() == null ? "OPEN" : order.getStatus().toUpperCase(Locale.ROOT);
    }

    @EventListener
    void on(ClimateOrderEventReceived event) throws StripeException {
        Order order = event.order();
        Optional<Ours> found = jdbc.sql("""
                select id, status, stripe_event_created_at from climate_orders where stripe_order_id = ?
                   for update""").param(order.getId())
                .query((rs, n) -> new Ours(rs.getObject(1, UUID.class), rs.getString(2),
                        rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant()))
                .optional();
        if (found.isEmpty()) {
            if (order.getMetadata() != null && order.getMetadata().get("carbonledger_order_id") != null) {
                // placed by us, and the placing transaction has not committed yet: the inbox retries later
                throw new IllegalStateException("climate order " + order.getId() + " is not recorded yet");
            }
            log.info("stripe {} {}: not one of our climate orders ({}), ignored", event.type(), event.eventId(),
                    order.getId());
            return;
        }
        Ours ours = found.get();
        if (ours.newestEvent() != null && event.created().isBefore(ours.newestEvent())
                && client.getIfAvailable() != null) {
            order = client.getObject().climate().orders().retrieve(order.getId());
            log.info("stripe {} {} is older than the newest applied to order {}: Stripe says {} now", event.type(),
                    event.eventId(), order.getId(), order.getStatus());
        }
        jdbc.sql("""
                update climate_orders set stripe_event_created_at = greatest(coalesce(stripe_event_created_at, ?), ?)
                 where id = ?""").params(Timestamp.from(event.created()), Timestamp.from(event.created()), ours.id())
                .update();
        if (ours.status().equals("DELIVERED") || ours.status().equals("CANCELED")) {
            log.info("stripe {} {}: climate order {} is already {}", event.type(), event.eventId(), order.getId(),
                    ours.status());
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        String status = status(order);
        if (order.getDelayedAt() != null || event.type().equals("climate.order.delayed")) {
            jdbc.sql("update climate_orders set delayed_at = coalesce(delayed_at, ?) where id = ?")
                    .params(Timestamp.from(instantOr(order.getDelayedAt(), event.created())), ours.id()).update();
            notice(ours.id(), "DELAYED", "delivery delayed" + (order.getExpectedDeliveryYear() == null ? ""
                    : "; now expected in " + order.getExpectedDeliveryYear()), now);
        }
        if (order.getProductSubstitutedAt() != null || event.type().equals("climate.order.product_substituted")) {
            var product = order.getProduct() == null ? Optional.<org.carbonledger.offsets.OffsetProduct>empty()
                    : products.findByStripeId(order.getProduct());
            product.ifPresent(p -> jdbc.sql("update climate_orders set product_id = ? where id = ?")
                    .params(p.id(), ours.id()).update());
            jdbc.sql("update climate_orders set product_substituted_at = coalesce(product_substituted_at, ?) "
                    + "where id = ?").params(Timestamp.from(instantOr(order.getProductSubstitutedAt(),
                    event.created())), ours.id()).update();
            notice(ours.id(), "PRODUCT_SUBSTITUTED", "Stripe substituted product " + order.getProduct()
                    + (product.isPresent() ? " (" + product.get().name() + ")" : ""), now);
        }
        jdbc.sql("""
                update climate_orders set expected_delivery_year = coalesce(?, expected_delivery_year),
                       amount_total = coalesce(?, amount_total), updated_at = ? where id = ?""")
                .params(order.getExpectedDeliveryYear() == null ? null : order.getExpectedDeliveryYear().intValue(),
                        order.getAmountTotal(), now, ours.id()).update();
        switch (status) {
            case "DELIVERED" -> deliver(ours.id(), order, now);
            case "CANCELED" -> cancel(ours.id(), order, now);
            default -> jdbc.sql("update climate_orders set status = ? where id = ?").params(status, ours.id())
                    .update();
        }
    }

    private void deliver(UUID id, Order order, Timestamp now) {
        Timestamp deliveredAt = Timestamp.from(instantOr(order.getDeliveredAt(), now.toInstant()));
        var details = order.getDeliveryDetails() == null ? java.util.List.<Order.DeliveryDetail>of()
                : order.getDeliveryDetails();
        for (int i = 0; i < details.size(); i++) {
            Order.DeliveryDetail d = details.get(i);
            jdbc.sql("""
                    insert into climate_order_deliveries (order_id, position, co2e_grams, registry_url, supplier,
                                                          delivered_at)
                    values (?, ?, ?, ?, ?, ?)""")
                    .params(id, i, d.getMetricTons() == null ? BigDecimal.ZERO
                                    : new BigDecimal(d.getMetricTons()).movePointRight(6),
                            d.getRegistryUrl(), d.getSupplier() == null ? null : d.getSupplier().getName(),
                            Timestamp.from(instantOr(d.getDeliveredAt(), deliveredAt.toInstant())))
                    .update();
        }
        jdbc.sql("update climate_order_earmarks set status = 'RETIRED', settled_at = ? "
                + "where order_id = ? and status = 'PENDING'").params(now, id).update();
        jdbc.sql("update climate_orders set status = 'DELIVERED', delivered_at = ? where id = ?")
                .params(deliveredAt, id).update();
    }

    private void cancel(UUID id, Order order, Timestamp now) {
        int released = jdbc.sql("update climate_order_earmarks set status = 'RELEASED', settled_at = ? "
                + "where order_id = ? and status = 'PENDING'").params(now, id).update();
        jdbc.sql("""
                update climate_orders set status = 'CANCELED', canceled_at = ?, cancellation_reason = ?
                 where id = ?""").params(Timestamp.from(instantOr(order.getCanceledAt(), now.toInstant())),
                order.getCancellationReason(), id).update();
        notice(id, "CANCELED", "order canceled" + (order.getCancellationReason() == null ? ""
                : " (" + order.getCancellationReason() + ")") + "; the grams of " + released
                + " emission record(s) it was pending for are uncovered again", now);
    }

    private void notice(UUID orderId, String kind, String detail, Timestamp at) {
        jdbc.sql("""
                insert into climate_order_notices (order_id, kind, detail, created_at) values (?, ?, ?, ?)
                on conflict (order_id, kind) do update set detail = excluded.detail""")
                .params(orderId, kind, detail, at).update();
    }

    private static Instant instantOr(Long epochSeconds, Instant fallback) {
        return epochSeconds == null ? fallback : Instant.ofEpochSecond(epochSeconds);
    }
}
