package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.billing.stripe.StripeIntegrationTest;
import org.carbonledger.billing.stripe.StripeStub;
import org.carbonledger.support.Api;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Stripe Climate as an offset provider, over HTTP against the Stripe-shaped stub: products synced into the catalog,
 * orders for paid-but-uncovered emissions pending per record, and the climate.order.* webhooks in any order.
 */
class ClimateOrdersIntegrationTest extends StripeIntegrationTest {

    private record Paid(Tenant tenant, UUID productId, String stripeProductId, BigDecimal emittedGrams) {
    }

    private UUID syncedProduct(String stripeProductId) {
        var synced = api.post(OPERATOR_KEY, "/v1/operator/climate/products/sync", Api.map("currency", "USD"));
        assertThat(synced.status()).as(synced.toString()).isEqualTo(200);
        for (JsonNode p : synced.body().path("items")) {
            if (p.path("stripeProductId").asString().equals(stripeProductId)) {
                return UUID.fromString(p.path("id").asString());
            }
        }
        throw new AssertionError("product " + stripeProductId + " not synced: " + synced);
    }

    /** A tenant whose policy allows only a Stripe Climate product: its September invoice is paid and uncovered. */
    private Paid paidUncovered(String name) {
        String stripeProduct = (String) STUB.addClimateProduct(unique("Frontier"), 2027, "usd", 50_000L).get("id");
        UUID product = syncedProduct(stripeProduct);
        Tenant t = newTenant(unique(name), 100);
        var policy = api.send(t.key(), "PUT", "/v1/offsets/policy", java.net.http.HttpRequest.BodyPublishers
                .ofString(Api.JSON.writeValueAsString(Map.of("productId", product.toString()))), "application/json");
        assertThat(policy.status()).as(policy.toString()).isEqualTo(200);
        UUID chat = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(t.key(), List.of(request("a", chat, 2000, 1500, Instant.parse("2026-09-05T00:00:00Z")),
                request("b", chat, 3000, 500, Instant.parse("2026-09-06T00:00:00Z"))));
        String invoiceId = api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).text("id");
        String stripeInvoice = api.get(t.key(), "/v1/invoices/" + invoiceId).text("stripeInvoiceId");
        STUB.pay(stripeInvoice);
        assertThat(deliver(StripeStub.event(eventId(), "invoice.paid", epoch(), STUB.invoice(stripeInvoice)))
                .text("outcome")).isEqualTo("PROCESSED");
        var coverage = coverage(t);
        assertThat(coverage.path("coveredGrams").decimalValue()).as("no lot of the product").isZero();
        return new Paid(t, product, stripeProduct, coverage.path("emittedGrams").decimalValue());
    }

    private JsonNode coverage(Tenant t) {
        var r = api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-10-01");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.body().path("locationBased");
    }

    private JsonNode notices(Tenant t) {
        return api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-10-01").body().path("notices");
    }

    private JsonNode trace(Tenant t, String requestId) {
        return api.get(t.key(), "/v1/trace/requests/" + requestId).body();
    }

    private Api.Response procure(Paid p) {
        return api.post(OPERATOR_KEY, "/v1/operator/procurements", Api.map("tenantId", p.tenant().id().toString(),
                "productId", p.productId().toString()));
    }

    private String order(Paid p) {
        var placed = procure(p);
        assertThat(placed.status()).as(placed.toString()).isEqualTo(201);
        assertThat(placed.text("provider")).isEqualTo("STRIPE_CLIMATE");
        assertThat(placed.text("state")).isEqualTo("PENDING");
        assertThat(placed.body().path("co2eGrams").decimalValue()).isEqualByComparingTo(p.emittedGrams());
        return placed.text("stripeOrderId");
    }

    private Api.Response event(String id, String type, long created, Map<String, Object> order) {
        return deliver(StripeStub.event(id, type, created, order));
    }

    private String state(String stripeOrderId) {
        return jdbc.sql("""
                select o.status || ' ' || string_agg(m.status, ',' order by m.status) || ' '
                       || (select count(*) from climate_order_deliveries d where d.order_id = o.id)
                  from climate_orders o join climate_order_earmarks m on m.order_id = o.id
                 where o.stripe_order_id = ? group by o.id""").param(stripeOrderId).query(String.class).single();
    }

    @Test
    void syncedProductsCarryStripesPricePerTonne() {
        String stripeProduct = (String) STUB.addClimateProduct(unique("Frontier"), 2028, "usd", 61_250L).get("id");
        UUID id = syncedProduct(stripeProduct);
        var product = jdbc.sql("select provider || ' ' || price_per_tonne || ' ' || currency || ' ' || delivery_year "
                + "from offset_products where id = ?").param(id).query(String.class).single();
        assertThat(product).isEqualTo("STRIPE_CLIMATE 612.5000 USD 2028");
        assertThat(syncedProduct(stripeProduct)).as("synced again: the same catalog entry").isEqualTo(id);
        var bad = api.post(OPERATOR_KEY, "/v1/operator/climate/products/sync", Api.map("currency", "usd"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.text("field")).isEqualTo("currency");
    }

    @Test
    void anOrderIsPendingPerRecordUntilDeliveredThenRetired() {
        Paid p = paidUncovered("climate-delivered");
        String order = order(p);
        var create = STUB.requests().stream().filter(r -> r.path().equals("/v1/climate/orders")).reduce((a, b) -> b).orElseThrow();
        assertThat(create.form().get("product")).isEqualTo(p.stripeProductId());
        assertThat(create.form().get("metric_tons"))
                .isEqualTo(p.emittedGrams().movePointLeft(6).stripTrailingZeros().toPlainString())
                .doesNotContain("E");
        assertThat(create.idempotencyKey()).startsWith("carbonledger-climate-order-");
        assertThat(coverage(p.tenant()).path("pendingGrams").decimalValue()).isEqualByComparingTo(p.emittedGrams());
        assertThat(coverage(p.tenant()).path("pendingDeliveryGrams").decimalValue())
                .isEqualByComparingTo(p.emittedGrams());
        assertThat(coverage(p.tenant()).path("uncoveredGrams").decimalValue()).isZero();
        var pending = trace(p.tenant(), "a");
        assertThat(pending.path("coverage").path("status").asString()).isEqualTo("PENDING_DELIVERY");
        assertThat(pending.path("climateOrders").get(0).path("status").asString()).isEqualTo("PENDING");
        assertThat(pending.path("climateOrders").get(0).path("co2eGrams").decimalValue())
                .isEqualByComparingTo(pending.path("coverage").path("pendingDeliveryGrams").decimalValue());
        var again = procure(p);
        assertThat(again.status()).as("ordered grams are not ordered twice").isEqualTo(409);
        assertThat(again.text("field")).isEqualTo("tenantId");

        assertThat(event(eventId(), "climate.order.created", epoch(), STUB.climateOrder(order)).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(state(order)).isEqualTo("OPEN PENDING,PENDING 0");
        String delivered = eventId();
        var deliveredOrder = STUB.deliverClimateOrder(order, "https://registry.example/retirements/42");
        assertThat(event(delivered, "climate.order.delivered", epoch() + 1, deliveredOrder).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(state(order)).isEqualTo("DELIVERED RETIRED,RETIRED 1");
        assertThat(event(delivered, "climate.order.delivered", epoch() + 1, deliveredOrder).text("outcome"))
                .isEqualTo("DUPLICATE");
        assertThat(event(eventId(), "climate.order.delivered", epoch() + 2, deliveredOrder).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(state(order)).as("delivered once").isEqualTo("DELIVERED RETIRED,RETIRED 1");

        var covered = coverage(p.tenant());
        assertThat(covered.path("coveredGrams").decimalValue()).isEqualByComparingTo(p.emittedGrams());
        assertThat(covered.path("pendingGrams").decimalValue()).isZero();
        var retired = trace(p.tenant(), "b");
        assertThat(retired.path("coverage").path("status").asString()).isEqualTo("COVERED");
        assertThat(retired.path("climateOrders").get(0).path("status").asString()).isEqualTo("RETIRED");
        assertThat(retired.path("climateOrders").get(0).path("registryUrls").get(0).asString())
                .isEqualTo("https://registry.example/retirements/42");
    }

    @Test
    void deliveredBeforeCreatedEndsInTheSameState() {
        Paid p = paidUncovered("climate-reordered");
        String order = order(p);
        Map<String, Object> created = STUB.climateOrder(order);
        var delivered = STUB.deliverClimateOrder(order, "https://registry.example/retirements/43");
        assertThat(event(eventId(), "climate.order.delivered", epoch() + 5, delivered).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(event(eventId(), "climate.order.created", epoch(), created).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(state(order)).isEqualTo("DELIVERED RETIRED,RETIRED 1");
        assertThat(trace(p.tenant(), "a").path("coverage").path("status").asString()).isEqualTo("COVERED");
    }

    @Test
    void aCanceledOrderReleasesItsGramsFlagsThemAndTheyCanBeOrderedAgain() {
        Paid p = paidUncovered("climate-canceled");
        String order = order(p);
        var canceled = STUB.cancelClimateOrder(order, "supplier_unavailable");
        assertThat(event(eventId(), "climate.order.canceled", epoch() + 1, canceled).text("outcome"))
                .isEqualTo("PROCESSED");
        assertThat(state(order)).isEqualTo("CANCELED RELEASED,RELEASED 0");
        var coverage = coverage(p.tenant());
        assertThat(coverage.path("pendingGrams").decimalValue()).isZero();
        assertThat(coverage.path("uncoveredGrams").decimalValue()).isEqualByComparingTo(p.emittedGrams());
        var notice = notices(p.tenant()).get(0);
        assertThat(notice.path("kind").asString()).isEqualTo("CANCELED");
        assertThat(notice.path("stripeOrderId").asString()).isEqualTo(order);
        assertThat(notice.path("detail").asString()).contains("supplier_unavailable");
        var trace = trace(p.tenant(), "a");
        assertThat(trace.path("coverage").path("status").asString()).isEqualTo("UNCOVERED");
        assertThat(trace.path("climateOrders").get(0).path("status").asString()).isEqualTo("RELEASED");
        assertThat(trace.path("climateOrders").get(0).path("notices").get(0).path("kind").asString())
                .isEqualTo("CANCELED");

        // a delivery reported after the cancellation moves nothing: CANCELED is final
        var late = new java.util.LinkedHashMap<>(canceled);
        late.put("status", "delivered");
        late.put("delivered_at", epoch() + 2);
        event(eventId(), "climate.order.delivered", epoch() + 2, late);
        assertThat(state(order)).isEqualTo("CANCELED RELEASED,RELEASED 0");

        String reordered = order(p);
        assertThat(reordered).isNotEqualTo(order);
        assertThat(coverage(p.tenant()).path("pendingDeliveryGrams").decimalValue())
                .isEqualByComparingTo(p.emittedGrams());
    }

    @Test
    void aDelayedOrSubstitutedOrderStaysPendingAndIsFlagged() {
        Paid p = paidUncovered("climate-delayed");
        String order = order(p);
        assertThat(event(eventId(), "climate.order.delayed", epoch(), STUB.delayClimateOrder(order, 2029))
                .text("outcome")).isEqualTo("PROCESSED");
        String other = (String) STUB.addClimateProduct(unique("Other"), 2029, "usd", 40_000L).get("id");
        UUID otherProduct = syncedProduct(other);
        assertThat(event(eventId(), "climate.order.product_substituted", epoch() + 1,
                STUB.substituteClimateProduct(order, other)).text("outcome")).isEqualTo("PROCESSED");
        assertThat(state(order)).isEqualTo("CONFIRMED PENDING,PENDING 0");
        assertThat(jdbc.sql("select product_id from climate_orders where stripe_order_id = ?").param(order)
                .query(UUID.class).single()).isEqualTo(otherProduct);
        var earmark = trace(p.tenant(), "a").path("climateOrders").get(0);
        assertThat(earmark.path("expectedDeliveryYear").asInt()).isEqualTo(2029);
        assertThat(earmark.path("notices").findValuesAsString("kind"))
                .containsExactlyInAnyOrder("DELAYED", "PRODUCT_SUBSTITUTED");
        assertThat(notices(p.tenant()).findValuesAsString("kind"))
                .containsExactlyInAnyOrder("DELAYED", "PRODUCT_SUBSTITUTED");
        assertThat(coverage(p.tenant()).path("pendingDeliveryGrams").decimalValue())
                .isEqualByComparingTo(p.emittedGrams());
    }

    @Test
    void theDatabaseRefusesAGramPendingOrRetiredTwiceAndASettledEarmarkMoving() {
        Paid p = paidUncovered("climate-constraints");
        String order = order(p);
        UUID orderId = jdbc.sql("select id from climate_orders where stripe_order_id = ?").param(order)
                .query(UUID.class).single();
        UUID record = jdbc.sql("select emission_record_id from climate_order_earmarks where order_id = ? limit 1")
                .param(orderId).query(UUID.class).single();
        UUID lot = newLot(unique("CC"), 1, 10, 2024);
        UUID retirement = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_retirements (id, lot_id, tenant_id, serial_first, serial_last, co2e_grams,
                    registry_retirement_id, beneficiary, reason, retired_at)
                values (?, ?, ?, 1, 1, 1000000, ?, 'b', 'r', now())""")
                .params(retirement, lot, p.tenant().id(), unique("RR")).update();
        assertThatThrownBy(() -> jdbc.sql("""
                insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id, co2e_grams,
                                                allocated_at)
                values (gen_random_uuid(), ?, ?, ?, 1, now())""")
                .params(retirement, record, p.tenant().id()).update())
                .hasMessageContaining("allocations exceed the emissions of record");
        STUB.deliverClimateOrder(order, "https://registry.example/retirements/44");
        event(eventId(), "climate.order.delivered", epoch(), STUB.climateOrder(order));
        assertThatThrownBy(() -> jdbc.sql("update climate_order_earmarks set status = 'RELEASED', settled_at = now() "
                + "where order_id = ?").param(orderId).update())
                .hasMessageContaining("is already RETIRED");
        assertThatThrownBy(() -> jdbc.sql("update climate_orders set status = 'CANCELED', canceled_at = now() "
                + "where id = ?").param(orderId).update())
                .hasMessageContaining("is already DELIVERED");
    }
}
