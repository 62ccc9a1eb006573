package org.carbonledger.billing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Pricing by offset product: the product's price per tonne × (1 + margin) + fee, and retirement of that product. */
class PricingByProductIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID chat;

    @BeforeEach
    void tenantWithAWorkload() {
        tenant = newTenant(unique("by-product"), 1);
        chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private Api.Response product(String projectId, Object price, String currency) {
        var body = Api.map("registry", "PURO_EARTH", "projectId", projectId, "name", "Biochar " + projectId,
                "kind", "REMOVAL", "methodology", "Puro Biochar", "country", "FI");
        if (price != null) {
            body.put("pricePerTonne", price);
            body.put("currency", currency);
        }
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r;
    }

    private Api.Response putPolicy(Object... keyValues) {
        return api.send(tenant.key(), "PUT", "/v1/billing/policy", java.net.http.HttpRequest.BodyPublishers
                .ofString(Api.JSON.writeValueAsString(Api.map(keyValues))), "application/json");
    }

    private static JsonNode line(Api.Response invoice, String kind) {
        for (JsonNode line : invoice.body().path("lines")) {
            if (line.path("kind").asString().equals(kind)) {
                return line;
            }
        }
        throw new AssertionError("no " + kind + " line in " + invoice);
    }

    @Test
    void theInvoiceIsPricedAtTheProductsPricePlusMarginAndFeeAndCoveredByThatProduct() {
        String projectId = unique("F");
        String productId = product(projectId, 160, "EUR").text("id");
        // a cheaper, older lot of another product must not be retired for this tenant
        newLot(unique("OTHER"), 1, 100, 2015);
        var lot = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "PURO_EARTH", "projectId",
                projectId, "vintage", 2024, "serialPrefix", unique("PR"), "serialFirst", 1, "serialLast", 10,
                "pricePerTonne", 95, "currency", "EUR"));
        assertThat(lot.status()).isEqualTo(201);
        var policy = putPolicy("pricingMode", "PRODUCT", "offsetProductId", productId, "marginPercent", 12.5,
                "feePerInvoice", 3, "currency", "EUR");
        assertThat(policy.status()).as(policy.toString()).isEqualTo(200);
        assertThat(policy.text("offsetProductId")).isEqualTo(productId);

        ingest(tenant.key(), List.of(request("a", chat, 4000, 4000, Instant.parse("2026-09-10T00:00:00Z"))));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"));
        assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
        assertThat(invoice.text("pricingMode")).isEqualTo("PRODUCT");
        JsonNode usage = line(invoice, "USAGE");
        assertThat(usage.path("pricePerTonne").decimalValue()).isEqualByComparingTo("180"); // 160 × 1.125
        assertThat(usage.path("description").asString()).endsWith(", priced as Biochar " + projectId
                + " (PURO_EARTH " + projectId + ") at 160 EUR/t + 12.5% margin");
        BigDecimal grams = usage.path("co2eGrams").decimalValue();
        assertThat(usage.path("amount").decimalValue()).isEqualByComparingTo(grams.multiply(new BigDecimal("180"))
                .divide(new BigDecimal("1000000")).setScale(2, java.math.RoundingMode.HALF_EVEN));
        assertThat(line(invoice, "FEE").path("amount").decimalValue()).isEqualByComparingTo("3");

        assertThat(api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments", Api.map()).status())
                .isEqualTo(201);
        assertThat(jdbc.sql("select lot_id from offset_retirements where tenant_id = ?").param(tenant.id())
                .query(UUID.class).list()).containsExactly(UUID.fromString(lot.text("id")));
    }

    @Test
    void aProductWithoutAPriceCannotBeBilled() {
        String productId = product(unique("F"), null, null).text("id");
        var r = putPolicy("pricingMode", "PRODUCT", "offsetProductId", productId, "currency", "EUR");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("offsetProductId");
        assertThat(r.text("detail")).endsWith("has no price per tonne to bill");
    }

    @Test
    void aProductPricedInAnotherCurrencyIsRefused() {
        String projectId = unique("F");
        String productId = product(projectId, 160, "EUR").text("id");
        var r = putPolicy("pricingMode", "PRODUCT", "offsetProductId", productId, "currency", "USD");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("currency");
        assertThat(r.text("detail")).isEqualTo("offset product Biochar " + projectId + " (PURO_EARTH " + projectId
                + ") is priced in EUR, not USD");
    }

    @Test
    void productPricingNeedsAProductInTheCatalog() {
        var missing = putPolicy("pricingMode", "PRODUCT", "currency", "EUR");
        assertThat(missing.text("field")).isEqualTo("offsetProductId");
        assertThat(missing.text("detail")).isEqualTo("is required for PRODUCT pricing");
        var unknown = putPolicy("pricingMode", "PRODUCT", "offsetProductId", UUID.randomUUID().toString(),
                "currency", "EUR");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.text("detail")).endsWith("is not in the catalog");
        var fixedWithProduct = putPolicy("pricingMode", "FIXED", "pricePerTonne", 10, "offsetProductId",
                UUID.randomUUID().toString(), "currency", "EUR");
        assertThat(fixedWithProduct.text("detail")).isEqualTo("is only for PRODUCT pricing");
    }
}
