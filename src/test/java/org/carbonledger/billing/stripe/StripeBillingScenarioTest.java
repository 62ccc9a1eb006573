package org.carbonledger.billing.stripe;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two billing periods through Stripe with a test clock: a late request, a failed then successful payment, a
 * duplicate and an out-of-order webhook, a refund that arrives before the payment it refunds.
 */
class StripeBillingScenarioTest extends StripeIntegrationTest {

    @org.springframework.beans.factory.annotation.Autowired
    org.carbonledger.receipts.Audit audit;

    @Test
    void twoPeriodsEndInTheRightInvoicesPaymentsAllocationsAndReceipts() {
        Tenant tenant = newTenant(unique("stripe"), 1_000_000);
        UUID chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        newLot(unique("SC"), 1, 1000, 2023);
        var policy = api.send(tenant.key(), "PUT", "/v1/billing/policy", json(Api.map("pricingMode", "FIXED",
                "pricePerTonne", 1_000_000, "marginPercent", 10, "feePerInvoice", 2.5, "currency", "USD")),
                "application/json");
        assertThat(policy.status()).as(policy.toString()).isEqualTo(200);

        // September: two requests; closing pushes customer, invoice, items, finalize, send to Stripe
        ingest(tenant.key(), List.of(request("a", chat, 500, 300, Instant.parse("2026-09-10T10:00:00Z")),
                request("b", chat, 100, 100, Instant.parse("2026-09-20T10:00:00Z"))));
        Instant closedAt = clock.instant();
        var closed = close(tenant, "2026-09");
        assertThat(closed.status()).as(closed.toString()).isEqualTo(201);
        String september = closed.text("id");
        var invoice = invoice(tenant, september);
        assertThat(invoice.text("status")).isEqualTo("FINALIZED");
        String stripeSeptember = invoice.text("stripeInvoiceId");
        assertThat(invoice.body().path("lines").size()).isEqualTo(2);
        BigDecimal usage = invoice.body().path("lines").get(0).path("amount").decimalValue();
        BigDecimal grams = invoice.body().path("lines").get(0).path("co2eGrams").decimalValue();
        // 1 per gram + 10 % margin, half-even to cents; plus the 2.50 fee
        assertThat(usage).isEqualByComparingTo(grams.multiply(new BigDecimal("1.1"))
                .setScale(2, java.math.RoundingMode.HALF_EVEN));
        assertThat(invoice.body().path("totalAmount").decimalValue())
                .isEqualByComparingTo(usage.add(new BigDecimal("2.50")));
        assertThat(STUB.invoice(stripeSeptember).get("total"))
                .isEqualTo(invoice.body().path("totalAmount").decimalValue().movePointRight(2).longValueExact());
        assertThat(keysOf("/v1/customers")).contains("carbonledger-customer-" + tenant.id());
        assertThat(keysOf("/v1/invoices")).contains("carbonledger-invoice-" + september);
        assertThat(keysOf("/v1/invoices/" + stripeSeptember + "/finalize")).containsExactly(
                "carbonledger-finalize-" + september);
        assertThat(keysOf("/v1/invoices/" + stripeSeptember + "/send")).containsExactly(
                "carbonledger-send-" + september);
        for (var line : invoice.body().path("lines")) {
            assertThat(keysOf("/v1/invoiceitems")).contains("carbonledger-item-" + line.path("id").asString());
        }
        assertThat(STUB.requests()).filteredOn(r -> r.method().equals("POST"))
                .allSatisfy(r -> assertThat(r.idempotencyKey()).startsWith("carbonledger-"));

        // a September request reported after the close
        ingest(tenant.key(), List.of(request("late", chat, 50, 50, Instant.parse("2026-09-30T23:00:00Z"))));

        // the first attempt to collect fails; the event is delivered twice
        String failed = StripeStub.event(eventId(), "invoice.payment_failed", epoch(),
                STUB.failPayment(stripeSeptember));
        assertThat(deliver(failed).text("outcome")).isEqualTo("PROCESSED");
        assertThat(invoice(tenant, september).text("status")).isEqualTo("PAYMENT_FAILED");
        assertThat(deliver(failed).text("outcome")).isEqualTo("DUPLICATE");

        // the retry succeeds; the older invoice.finalized arrives after invoice.paid
        clock.set(clock.instant().plusSeconds(3600));
        STUB.pay(stripeSeptember);
        String paid = StripeStub.event(eventId(), "invoice.paid", epoch(), STUB.invoice(stripeSeptember));
        assertThat(deliver(paid).text("outcome")).isEqualTo("PROCESSED");
        Map<String, Object> asFinalized = STUB.invoice(stripeSeptember);
        asFinalized.put("status", "open");
        var lateFinalized = deliver(StripeStub.event(eventId(), "invoice.finalized", epoch(closedAt), asFinalized));
        assertThat(lateFinalized.text("outcome")).isEqualTo("PROCESSED");
        assertThat(invoice(tenant, september).text("status")).isEqualTo("PAID");
        assertThat(transitions(september)).containsExactly("OPEN>FINALIZED", "FINALIZED>PAYMENT_FAILED",
                "PAYMENT_FAILED>PAID");
        assertThat(allocatedGrams(september)).isEqualByComparingTo(grams);
        assertThat(receiptRevoked(september)).isFalse();

        // October: the late September request lands here
        clock.set(Instant.parse("2026-11-01T00:00:05Z"));
        ingest(tenant.key(), List.of(request("oct", chat, 200, 200, Instant.parse("2026-10-15T10:00:00Z"))));
        var octoberClosed = close(tenant, "2026-10");
        assertThat(octoberClosed.status()).isEqualTo(201);
        String october = octoberClosed.text("id");
        var octoberInvoice = invoice(tenant, october);
        assertThat(octoberInvoice.text("status")).isEqualTo("FINALIZED");
        assertThat(octoberInvoice.body().path("lines").get(0).path("requestCount").asLong()).isEqualTo(2);
        String stripeOctober = octoberInvoice.text("stripeInvoiceId");
        BigDecimal octoberGrams = octoberInvoice.body().path("co2eGrams").decimalValue();
        BigDecimal balanceBefore = carriedForward(tenant.id());

        // paid and refunded in Stripe; the refund is delivered before the payment and waits for it
        String charge = STUB.pay(stripeOctober);
        String refunded = StripeStub.event(eventId(), "charge.refunded", epoch() + 2, STUB.refund(charge));
        assertThat(deliver(refunded).text("outcome")).isEqualTo("PENDING");
        assertThat(deliver(StripeStub.event(eventId(), "invoice.paid", epoch() + 1, STUB.invoice(stripeOctober)))
                .text("outcome")).isEqualTo("PROCESSED");
        assertThat(invoice(tenant, october).text("status")).isEqualTo("PAID");
        assertThat(allocatedGrams(october)).isEqualByComparingTo(octoberGrams);
        assertThat(inbox.processDue()).as("not due before the backoff").isZero();
        clock.set(clock.instant().plusSeconds(31));
        assertThat(inbox.processDue()).isEqualTo(1);

        assertThat(invoice(tenant, october).text("status")).isEqualTo("REFUNDED");
        assertThat(transitions(october)).containsExactly("OPEN>FINALIZED", "FINALIZED>PAID", "PAID>REFUNDED");
        assertThat(allocatedGrams(october)).isEqualByComparingTo("0");
        assertThat(receiptRevoked(october)).isTrue();
        assertThat(receiptRevoked(september)).isFalse();
        assertThat(allocatedGrams(september)).isEqualByComparingTo(grams);
        // the freed mass is back in the tenant's carried-forward balance
        assertThat(carriedForward(tenant.id())).isEqualByComparingTo(balanceBefore);
        assertThat(jdbc.sql("select count(*) from payments where tenant_id = ? and provider = 'STRIPE'")
                .param(tenant.id()).query(Long.class).single()).isEqualTo(2);
        assertThat(jdbc.sql("select kind from payment_reversals where tenant_id = ?").param(tenant.id())
                .query(String.class).list()).containsExactly("REFUND");
        var receipts = api.get(tenant.key(), "/v1/receipts");
        assertThat(receipts.body().path("items").size()).isEqualTo(2);

        // the compensating allocations of the refund are leaves of the log, and the audit finds nothing to report
        // about this tenant: revoked receipt with every allocation reversed, PDFs in the store, totals re-derived
        assertThat(jdbc.sql("""
                select count(*) from offset_allocations a
                  join log_leaves g on g.kind = 'ALLOCATION' and g.subject_id = a.id
                 where a.tenant_id = ? and a.reverses_id is not null""").param(tenant.id()).query(Long.class).single())
                .isPositive();
        List<String> ours = jdbc.sql("""
                select number from invoices where tenant_id = ?
                union all select number from receipts where tenant_id = ?
                union all select id::text from emission_records where tenant_id = ?
                union all select id::text from offset_allocations where tenant_id = ?""")
                .params(tenant.id(), tenant.id(), tenant.id(), tenant.id()).query(String.class).list();
        assertThat(audit.run().findings()).map(Object::toString)
                .noneMatch(f -> ours.stream().anyMatch(f::contains));
    }

    private Api.Response close(Tenant tenant, String period) {
        return api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", period));
    }

    private Api.Response invoice(Tenant tenant, String id) {
        return api.get(tenant.key(), "/v1/invoices/" + id);
    }

    private static java.net.http.HttpRequest.BodyPublisher json(Object body) {
        return java.net.http.HttpRequest.BodyPublishers.ofString(Api.JSON.writeValueAsString(body));
    }

    private List<String> keysOf(String path) {
        return STUB.requests().stream().filter(r -> r.method().equals("POST") && r.path().equals(path))
                .map(StripeStub.Request::idempotencyKey).toList();
    }

    private List<String> transitions(String invoiceId) {
        return jdbc.sql("select from_status || '>' || to_status from invoice_transitions where invoice_id = ? "
                + "order by seq").param(UUID.fromString(invoiceId)).query(String.class).list();
    }

    private BigDecimal allocatedGrams(String invoiceId) {
        return jdbc.sql("""
                select coalesce(sum(a.co2e_grams), 0) from offset_allocations a
                  join invoice_line_emissions b on b.emission_record_id = a.emission_record_id
                  join invoice_lines l on l.id = b.invoice_line_id where l.invoice_id = ?""")
                .param(UUID.fromString(invoiceId)).query(BigDecimal.class).single();
    }

    private BigDecimal carriedForward(UUID tenantId) {
        return jdbc.sql("""
                select coalesce(sum(t.co2e_grams), 0) - coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                                   where a.tenant_id = ?), 0)
                  from offset_retirements t where t.tenant_id = ?""").params(tenantId, tenantId)
                .query(BigDecimal.class).single();
    }

    private boolean receiptRevoked(String invoiceId) {
        return jdbc.sql("select revoked_at is not null from receipts where invoice_id = ?")
                .param(UUID.fromString(invoiceId)).query(Boolean.class).single();
    }
}
