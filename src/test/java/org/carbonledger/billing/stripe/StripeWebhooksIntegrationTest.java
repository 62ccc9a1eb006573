package org.carbonledger.billing.stripe;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StripeWebhooksIntegrationTest extends StripeIntegrationTest {

    private static String unknownEvent(String id) {
        return StripeStub.event(id, "customer.created", 1_790_000_000L, Map.of("id", "cus_x", "object",
                "customer"));
    }

    private long stored(String eventId) {
        return jdbc.sql("select count(*) from stripe_events where event_id = ?").param(eventId).query(Long.class)
                .single();
    }

    @Test
    void aForgedSignatureIs400AndNothingIsStored() {
        String id = eventId();
        String payload = unknownEvent(id);
        var forged = deliver(payload, new StripeWebhookSigner("whsec_someone_else").sign(payload, clock.instant()));
        assertThat(forged.status()).isEqualTo(400);
        assertThat(forged.text("field")).isEqualTo("Stripe-Signature");
        assertThat(stored(id)).isZero();
    }

    @Test
    void aTamperedPayloadIs400() {
        String payload = unknownEvent(eventId());
        String signature = SIGNER.sign(payload, clock.instant());
        var tampered = deliver(payload.replace("cus_x", "cus_y"), signature);
        assertThat(tampered.status()).isEqualTo(400);
        assertThat(tampered.text("field")).isEqualTo("Stripe-Signature");
    }

    @Test
    void aStaleSignatureIs400() {
        String payload = unknownEvent(eventId());
        var stale = deliver(payload, SIGNER.sign(payload, clock.instant().minusSeconds(301)));
        assertThat(stale.status()).isEqualTo(400);
        assertThat(stale.text("field")).isEqualTo("Stripe-Signature");
        assertThat(stale.text("detail")).contains("tolerance");
    }

    @Test
    void aDeliveryReplayedAfterTheToleranceWindowIs400() {
        String id = eventId();
        String payload = unknownEvent(id);
        String signature = SIGNER.sign(payload, clock.instant());
        assertThat(deliver(payload, signature).status()).isEqualTo(200);
        clock.set(clock.instant().plusSeconds(600));
        var replayed = deliver(payload, signature);
        assertThat(replayed.status()).isEqualTo(400);
        assertThat(replayed.text("field")).isEqualTo("Stripe-Signature");
    }

    @Test
    void aMissingSignatureIs400() {
        var unsigned = deliver(unknownEvent(eventId()), null);
        assertThat(unsigned.status()).isEqualTo(400);
        assertThat(unsigned.text("field")).isEqualTo("Stripe-Signature");
    }

    @Test
    void aMalformedPayloadIs400() {
        var malformed = deliver("{\"id\": \"evt_1\", \"type\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.text("field")).isEqualTo("body");
        var notAnEvent = deliver("{\"hello\": \"world\"}");
        assertThat(notAnEvent.status()).isEqualTo(400);
        assertThat(notAnEvent.text("field")).isEqualTo("body");
    }

    @Test
    void anUnknownTypeIsAcknowledgedAndIgnoredOnce() {
        String id = eventId();
        var first = deliver(unknownEvent(id));
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.text("outcome")).isEqualTo("IGNORED");
        assertThat(deliver(unknownEvent(id)).text("outcome")).isEqualTo("DUPLICATE");
        assertThat(stored(id)).isEqualTo(1);
    }

    @Test
    void climateOrderEventsReachTheOffsetsModule() {
        String id = eventId();
        String order = "climorder_" + UUID.randomUUID().toString().substring(0, 8);
        var delivered = deliver(StripeStub.event(id, "climate.order.delayed", epoch(), Map.of("id", order,
                "object", "climate.order", "status", "confirmed", "metric_tons", "1.5", "livemode", false)));
        assertThat(delivered.text("outcome")).isEqualTo("PROCESSED");
        assertThat(jdbc.sql("select order_id || ' ' || order_status || ' ' || type from climate_order_events "
                + "where event_id = ?").param(id).query(String.class).single())
                .isEqualTo(order + " confirmed climate.order.delayed");
    }

    @Test
    void aMissedPaymentIsRepairedByReconciliationAndALostDisputeReversesIt() {
        Tenant tenant = newTenant(unique("reconcile"), 1_000_000);
        UUID chat = newWorkload(tenant.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        newLot(unique("RC"), 1, 100, 2022);
        ingest(tenant.key(), List.of(request("r", chat, 100, 100, Instant.parse("2026-09-05T00:00:00Z"))));
        String invoiceId = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"))
                .text("id");
        var invoice = api.get(tenant.key(), "/v1/invoices/" + invoiceId);
        String stripeId = invoice.text("stripeInvoiceId");
        assertThat(invoice.text("status")).isEqualTo("FINALIZED");
        var offline = api.post(tenant.key(), "/v1/invoices/" + invoiceId + "/payments", Api.map());
        assertThat(offline.status()).as("collected through Stripe").isEqualTo(409);

        String charge = STUB.pay(stripeId);   // and the invoice.paid webhook never arrives
        assertThat(api.post(tenant.key(), "/v1/billing/reconciliations", null).status()).isEqualTo(403);
        var report = api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null);
        assertThat(report.status()).isEqualTo(200);
        assertThat(report.body().path("stripeConfigured").asBoolean()).isTrue();
        var change = findChange(report, invoiceId);
        assertThat(change.path("from").asString()).isEqualTo("FINALIZED");
        assertThat(change.path("to").asString()).isEqualTo("PAID");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + invoiceId).text("status")).isEqualTo("PAID");
        assertThat(api.get(tenant.key(), "/v1/receipts").body().path("items").size()).isEqualTo(1);
        assertThat(findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), invoiceId).isMissingNode())
                .as("nothing left to repair").isTrue();

        assertThat(deliver(StripeStub.event(eventId(), "charge.dispute.created", epoch(),
                STUB.dispute(charge, "needs_response"))).text("outcome")).isEqualTo("PROCESSED");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + invoiceId).text("status")).isEqualTo("DISPUTED");
        assertThat(deliver(StripeStub.event(eventId(), "charge.dispute.closed", epoch() + 1,
                STUB.dispute(charge, "lost"))).text("outcome")).isEqualTo("PROCESSED");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + invoiceId).text("status")).isEqualTo("CHARGED_BACK");
        var receipt = api.get(tenant.key(), "/v1/receipts").body().path("items").get(0);
        assertThat(receipt.path("revocationReason").asString()).startsWith("CHARGEBACK of invoice ");
        assertThat(jdbc.sql("select coalesce(sum(co2e_grams), 0) from offset_allocations where tenant_id = ?")
                .param(tenant.id()).query(java.math.BigDecimal.class).single()).isEqualByComparingTo("0");
    }

    @Test
    void anInterruptedPushIsCompletedByTheReconcilerWithoutDuplicates() {
        Tenant tenant = newTenant(unique("interrupted"), 1_000_000);
        UUID chat = newWorkload(tenant.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        ingest(tenant.key(), List.of(request("i", chat, 100, 100, Instant.parse("2026-09-05T00:00:00Z"))));
        STUB.failNext("/finalize", 3);   // the client's own retries fail too
        String invoiceId = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"))
                .text("id");
        var open = api.get(tenant.key(), "/v1/invoices/" + invoiceId);
        assertThat(open.text("status")).isEqualTo("OPEN");
        String stripeId = open.text("stripeInvoiceId");
        assertThat(STUB.invoice(stripeId).get("status")).isEqualTo("draft");

        var change = findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), invoiceId);
        assertThat(change.path("from").asString()).isEqualTo("OPEN");
        assertThat(change.path("to").asString()).isEqualTo("FINALIZED");
        var finalized = api.get(tenant.key(), "/v1/invoices/" + invoiceId);
        assertThat(finalized.text("status")).isEqualTo("FINALIZED");
        assertThat(finalized.text("stripeInvoiceId")).isEqualTo(stripeId);
        // the items were sent again with the same keys and Stripe answered with the same objects: nothing doubled
        assertThat(STUB.invoice(stripeId).get("total")).isEqualTo(
                finalized.body().path("totalAmount").decimalValue().movePointRight(2).longValueExact());
        String itemKey = "carbonledger-item-" + finalized.body().path("lines").get(0).path("id").asString();
        assertThat(STUB.requests()).filteredOn(r -> itemKey.equals(r.idempotencyKey())).hasSize(2);
    }

    @Test
    void anEventThatNeverBecomesApplicableIsParkedAfterTheLastAttempt() {
        String id = eventId();
        var charge = Map.<String, Object>of("id", "ch_unknown", "object", "charge", "refunded", true,
                "amount", 100L, "amount_refunded", 100L, "payment_intent", "pi_nobody_knows", "livemode", false);
        assertThat(deliver(StripeStub.event(id, "charge.refunded", epoch(), charge)).text("outcome"))
                .isEqualTo("PENDING");
        clock.set(clock.instant().plusSeconds(31));
        inbox.processDue();
        assertThat(status(id)).isEqualTo("PENDING 2");
        clock.set(clock.instant().plusSeconds(61));
        inbox.processDue();
        assertThat(status(id)).isEqualTo("FAILED 3");
        clock.set(clock.instant().plusSeconds(3600));
        inbox.processDue();
        assertThat(status(id)).as("parked events are not retried").isEqualTo("FAILED 3");
    }

    @Test
    void voidedAndUncollectibleInvoicesFollowStripe() {
        Tenant tenant = newTenant(unique("void"), 1_000_000);
        UUID chat = newWorkload(tenant.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        ingest(tenant.key(), List.of(request("v", chat, 100, 100, Instant.parse("2026-08-05T00:00:00Z")),
                request("u", chat, 100, 100, Instant.parse("2026-09-05T00:00:00Z"))));
        String august = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-08")).text("id");
        String september = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"))
                .text("id");
        Map<String, Object> voided = STUB.invoice(api.get(tenant.key(), "/v1/invoices/" + august)
                .text("stripeInvoiceId"));
        voided.put("status", "void");
        assertThat(deliver(StripeStub.event(eventId(), "invoice.voided", epoch(), voided)).text("outcome"))
                .isEqualTo("PROCESSED");
        Map<String, Object> uncollectible = STUB.invoice(api.get(tenant.key(), "/v1/invoices/" + september)
                .text("stripeInvoiceId"));
        uncollectible.put("status", "uncollectible");
        deliver(StripeStub.event(eventId(), "invoice.marked_uncollectible", epoch(), uncollectible));
        assertThat(api.get(tenant.key(), "/v1/invoices/" + august).text("status")).isEqualTo("VOID");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + september).text("status")).isEqualTo("UNCOLLECTIBLE");
        // a payment reported for a void invoice changes nothing
        Map<String, Object> paidLate = new java.util.LinkedHashMap<>(voided);
        paidLate.put("status", "paid");
        deliver(StripeStub.event(eventId(), "invoice.paid", epoch() + 1, paidLate));
        assertThat(api.get(tenant.key(), "/v1/invoices/" + august).text("status")).isEqualTo("VOID");
    }

    private String status(String eventId) {
        return jdbc.sql("select status || ' ' || attempts from stripe_events where event_id = ?").param(eventId)
                .query(String.class).single();
    }

    /** A tenant's September invoice, pushed to Stripe and paid there with the invoice.paid webhook delivered. */
    private record PaidThroughStripe(Tenant tenant, String invoiceId, String charge) {
    }

    private PaidThroughStripe paidThroughStripe(String name) {
        Tenant tenant = newTenant(unique(name), 1_000_000);
        UUID chat = newWorkload(tenant.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        newLot(unique("RV"), 1, 100, 2022);
        ingest(tenant.key(), List.of(request("r", chat, 100, 100, Instant.parse("2026-09-05T00:00:00Z"))));
        String invoiceId = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"))
                .text("id");
        String stripeId = api.get(tenant.key(), "/v1/invoices/" + invoiceId).text("stripeInvoiceId");
        String charge = STUB.pay(stripeId);
        assertThat(deliver(StripeStub.event(eventId(), "invoice.paid", epoch(), STUB.invoice(stripeId)))
                .text("outcome")).isEqualTo("PROCESSED");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + invoiceId).text("status")).isEqualTo("PAID");
        return new PaidThroughStripe(tenant, invoiceId, charge);
    }

    private java.math.BigDecimal allocatedGrams(Tenant tenant) {
        return jdbc.sql("select coalesce(sum(co2e_grams), 0) from offset_allocations where tenant_id = ?")
                .param(tenant.id()).query(java.math.BigDecimal.class).single();
    }

    private long transitions(String invoiceId) {
        return jdbc.sql("select count(*) from invoice_transitions where invoice_id = ?")
                .param(UUID.fromString(invoiceId)).query(Long.class).single();
    }

    @Test
    void aRefundWhoseWebhookWasNeverDeliveredIsRepairedByTheReconcilerOnce() {
        PaidThroughStripe paid = paidThroughStripe("missed-refund");
        assertThat(allocatedGrams(paid.tenant())).isPositive();
        STUB.refund(paid.charge());   // the charge.refunded webhook never arrives

        var change = findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId());
        assertThat(change.path("from").asString()).isEqualTo("PAID");
        assertThat(change.path("to").asString()).isEqualTo("REFUNDED");
        assertThat(change.path("reason").asString()).isEqualTo("Stripe charge " + paid.charge() + " is refunded");
        assertThat(api.get(paid.tenant().key(), "/v1/invoices/" + paid.invoiceId()).text("status"))
                .isEqualTo("REFUNDED");
        assertThat(allocatedGrams(paid.tenant())).as("compensating allocations cancel the covered grams")
                .isEqualByComparingTo("0");
        var receipt = api.get(paid.tenant().key(), "/v1/receipts").body().path("items").get(0);
        assertThat(receipt.path("revocationReason").asString()).startsWith("REFUND of invoice ");
        assertThat(jdbc.sql("select r.kind || ' ' || r.provider_reference from payment_reversals r join payments p "
                + "on p.id = r.payment_id where p.invoice_id = ?").param(UUID.fromString(paid.invoiceId()))
                .query(String.class).list()).containsExactly("REFUND " + paid.charge());

        // a second run, and the webhook arriving late, change nothing
        long moves = transitions(paid.invoiceId());
        assertThat(findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId())
                .isMissingNode()).isTrue();
        assertThat(deliver(StripeStub.event(eventId(), "charge.refunded", epoch(), STUB.charge(paid.charge())))
                .status()).isEqualTo(200);
        assertThat(transitions(paid.invoiceId())).isEqualTo(moves);
        assertThat(allocatedGrams(paid.tenant())).isEqualByComparingTo("0");
        assertThat(jdbc.sql("select count(*) from payment_reversals r join payments p on p.id = r.payment_id "
                + "where p.invoice_id = ?").param(UUID.fromString(paid.invoiceId())).query(Long.class).single())
                .isEqualTo(1);
    }

    @Test
    void aLostDisputeWhoseWebhooksWereNeverDeliveredIsRepairedByTheReconcilerOnce() {
        PaidThroughStripe paid = paidThroughStripe("missed-dispute");
        STUB.dispute(paid.charge(), "needs_response");   // neither dispute webhook arrives
        STUB.dispute(paid.charge(), "lost");

        var change = findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId());
        assertThat(change.path("from").asString()).isEqualTo("PAID");
        assertThat(change.path("to").asString()).isEqualTo("CHARGED_BACK");
        assertThat(change.path("reason").asString()).isEqualTo("Stripe dispute dp_" + paid.charge() + " is lost");
        assertThat(jdbc.sql("select from_status || '>' || to_status from invoice_transitions where invoice_id = ? "
                + "and to_status in ('DISPUTED', 'CHARGED_BACK')").param(UUID.fromString(paid.invoiceId()))
                .query(String.class).list())
                .as("through DISPUTED, as the two webhooks would have moved it")
                .containsExactlyInAnyOrder("PAID>DISPUTED", "DISPUTED>CHARGED_BACK");
        assertThat(allocatedGrams(paid.tenant())).isEqualByComparingTo("0");
        var receipt = api.get(paid.tenant().key(), "/v1/receipts").body().path("items").get(0);
        assertThat(receipt.path("revocationReason").asString()).startsWith("CHARGEBACK of invoice ");

        long moves = transitions(paid.invoiceId());
        assertThat(findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId())
                .isMissingNode()).isTrue();
        assertThat(transitions(paid.invoiceId())).isEqualTo(moves);
    }

    @Test
    void anOpenDisputeMarksTheInvoiceDisputedAndAWonOneReturnsItToPaid() {
        PaidThroughStripe paid = paidThroughStripe("open-dispute");
        java.math.BigDecimal grams = allocatedGrams(paid.tenant());
        STUB.dispute(paid.charge(), "needs_response");
        var opened = findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId());
        assertThat(opened.path("to").asString()).isEqualTo("DISPUTED");
        assertThat(opened.path("reason").asString()).isEqualTo("Stripe dispute dp_" + paid.charge()
                + " is needs_response");
        assertThat(findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId())
                .isMissingNode()).as("still open: nothing more to do").isTrue();

        STUB.dispute(paid.charge(), "won");
        var won = findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId());
        assertThat(won.path("from").asString()).isEqualTo("DISPUTED");
        assertThat(won.path("to").asString()).isEqualTo("PAID");
        assertThat(allocatedGrams(paid.tenant())).as("nothing reversed, nothing allocated twice")
                .isEqualByComparingTo(grams);
        assertThat(jdbc.sql("select count(*) from payments where invoice_id = ?")
                .param(UUID.fromString(paid.invoiceId())).query(Long.class).single()).isEqualTo(1);
        assertThat(findChange(api.post(OPERATOR_KEY, "/v1/billing/reconciliations", null), paid.invoiceId())
                .isMissingNode()).isTrue();
    }

    private static tools.jackson.databind.JsonNode findChange(Api.Response report, String invoiceId) {
        for (var change : report.body().path("changes")) {
            if (change.path("invoiceId").asString().equals(invoiceId)) {
                return change;
            }
        }
        return tools.jackson.databind.node.MissingNode.getInstance();
    }
}
