package org.carbonledger.billing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InvoicesIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID chat;
    private UUID code;

    @BeforeEach
    void tenantWithTwoWorkloads() {
        tenant = newTenant(unique("billing"), 1_000_000);   // 1 per gram, so small masses give visible amounts
        chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        code = newWorkload(tenant.key(), "code", "bigcode/starcoder2-15b", "europe-west4");
    }

    private Api.Response close(String period) {
        return api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", period));
    }

    @Test
    void closingAPeriodInvoicesItsEmissionsPerWorkloadAndIsIdempotent() {
        Instant inSeptember = Instant.parse("2026-09-15T12:00:00Z");
        ingest(tenant.key(), List.of(request("a", chat, 500, 300, inSeptember), request("b", chat, 100, 100,
                inSeptember), request("c", code, 1000, 50, inSeptember)));
        var first = close("2026-09");
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.body().path("lines").size()).isEqualTo(2);
        BigDecimal grams = jdbc.sql("select sum(co2e_grams_location) from emission_records where tenant_id = ?")
                .param(tenant.id()).query(BigDecimal.class).single();
        assertThat(first.body().path("co2eGrams").decimalValue()).isEqualByComparingTo(grams);
        BigDecimal sumOfLines = BigDecimal.ZERO;
        for (var line : first.body().path("lines")) {
            sumOfLines = sumOfLines.add(line.path("amount").decimalValue());
            // amount = grams / 1e6 × price per tonne, rounded half-even to cents
            assertThat(line.path("amount").decimalValue()).isEqualByComparingTo(
                    line.path("co2eGrams").decimalValue().setScale(2, java.math.RoundingMode.HALF_EVEN));
        }
        assertThat(first.body().path("totalAmount").decimalValue()).isEqualByComparingTo(sumOfLines);

        var again = close("2026-09");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.text("id")).isEqualTo(first.text("id"));
        assertThat(jdbc.sql("select count(*) from invoices where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void aLateRequestLandsOnTheNextInvoiceNeverOnTwo() {
        ingest(tenant.key(), List.of(request("on-time", chat, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        var september = close("2026-09");
        ingest(tenant.key(), List.of(request("late", chat, 10, 10, Instant.parse("2026-09-30T23:59:00Z"))));
        var october = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        assertThat(october.status()).as("October has not ended at the test clock's start").isEqualTo(409);
        clock.set(Instant.parse("2026-11-01T00:00:01Z"));
        october = close("2026-10");
        assertThat(october.status()).isEqualTo(201);
        assertThat(september.body().path("lines").get(0).path("requestCount").asLong()).isEqualTo(1);
        assertThat(october.body().path("lines").get(0).path("requestCount").asLong()).isEqualTo(1);
        assertThat(jdbc.sql("""
                select count(*) from invoice_line_emissions b join emission_records e on e.id = b.emission_record_id
                 where e.tenant_id = ?""").param(tenant.id()).query(Long.class).single()).isEqualTo(2);
    }

    @Test
    void aReusedPaymentReferenceIs409AndLeavesTheInvoiceOpen() {
        ingest(tenant.key(), List.of(request("s", chat, 10, 10, Instant.parse("2026-08-10T00:00:00Z")),
                request("t", chat, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        String august = close("2026-08").text("id");
        String september = close("2026-09").text("id");
        assertThat(api.post(tenant.key(), "/v1/invoices/" + august + "/payments", Api.map("reference", "r-1"))
                .status()).isEqualTo(201);
        var reused = api.post(tenant.key(), "/v1/invoices/" + september + "/payments", Api.map("reference", "r-1"));
        assertThat(reused.status()).isEqualTo(409);
        assertThat(reused.text("field")).isEqualTo("reference");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + september).text("status")).isEqualTo("OPEN");
    }

    @Test
    void withoutAWebhookSecretTheStripeEndpointIs404() {
        var response = api.postBytes(null, "/v1/webhooks/stripe", "{}".getBytes(), "application/json");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.text("detail")).isEqualTo("Stripe webhooks are not configured here");
    }

    @Test
    void absurdNumbersAre400NotServerErrors() {
        var price = api.post(OPERATOR_KEY, "/v1/tenants", Api.map("name", "x", "pricePerTonne", 1e20));
        assertThat(price.status()).isEqualTo(400);
        assertThat(price.text("field")).isEqualTo("pricePerTonne");
        var params = api.post(tenant.key(), "/v1/workloads", Api.map("name", "huge", "model", "m",
                "modelParamsBillion", 1e12, "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1"));
        assertThat(params.status()).isEqualTo(400);
        assertThat(params.text("field")).isEqualTo("modelParamsBillion");
    }

    @Test
    void closeAndPayErrors() {
        assertThat(close("2026-13").status()).isEqualTo(400);
        var missing = api.post(tenant.key(), "/v1/billing/periods/close", Api.map());
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.text("field")).isEqualTo("period");
        assertThat(close("2026-10").text("field")).isEqualTo("period");
        assertThat(api.post(tenant.key(), "/v1/invoices/" + UUID.randomUUID() + "/payments", Api.map()).status())
                .isEqualTo(404);
        assertThat(api.get(tenant.key(), "/v1/invoices/not-a-uuid").status()).isEqualTo(400);
    }

    @Test
    void payingTwiceIsRefusedAndAnotherTenantSeesNothing() {
        ingest(tenant.key(), List.of(request("p", chat, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        String invoice = close("2026-09").text("id");
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice + "/payments", Api.map("reference", "wire-1"));
        assertThat(paid.status()).isEqualTo(201);
        assertThat(paid.text("status")).isEqualTo("PAID");
        var twice = api.post(tenant.key(), "/v1/invoices/" + invoice + "/payments", Api.map());
        assertThat(twice.status()).isEqualTo(409);
        assertThat(jdbc.sql("select count(*) from payments where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(1);

        Tenant other = newTenant(unique("other"), 10);
        UUID otherChat = newWorkload(other.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        ingest(other.key(), List.of(request("p", otherChat, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        String otherInvoice = api.post(other.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"))
                .text("id");
        assertThat(api.post(other.key(), "/v1/invoices/" + otherInvoice + "/payments", Api.map("reference",
                "wire-1")).status()).as("references are per tenant").isEqualTo(201);
        assertThat(api.get(other.key(), "/v1/invoices/" + invoice).status()).isEqualTo(404);
        assertThat(api.post(other.key(), "/v1/invoices/" + invoice + "/payments", Api.map()).status())
                .isEqualTo(404);
        var listed = api.get(other.key(), "/v1/invoices").body().path("items");
        assertThat(listed.size()).isEqualTo(1);
        assertThat(listed.get(0).path("id").asString()).isEqualTo(otherInvoice);
    }
}
