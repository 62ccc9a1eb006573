package org.carbonledger.offsets;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Procurement from the registry inventory provider, and the refusals of the procurement endpoint. */
class RegistryProcurementIntegrationTest extends IntegrationTest {

    private UUID product(String projectId) {
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", "PURO_EARTH", "projectId",
                projectId, "name", "Project " + projectId, "kind", "REMOVAL", "methodology", "Biochar",
                "country", "FI"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.text("provider")).isEqualTo("REGISTRY_INVENTORY");
        return UUID.fromString(r.text("id"));
    }

    /** A tenant restricted to {@code product}, with September billed and paid while the product had no lot. */
    private Tenant paidUncovered(UUID product) {
        Tenant t = newTenant(unique("procure"), 100);
        var policy = api.send(t.key(), "PUT", "/v1/offsets/policy", java.net.http.HttpRequest.BodyPublishers
                .ofString(Api.JSON.writeValueAsString(Map.of("productId", product.toString()))), "application/json");
        assertThat(policy.status()).as(policy.toString()).isEqualTo(200);
        UUID w = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(t.key(), List.of(request("a", w, 2000, 1500, Instant.parse("2026-09-05T00:00:00Z"))));
        String invoice = api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).text("id");
        assertThat(api.post(t.key(), "/v1/invoices/" + invoice + "/payments", Api.map()).status()).isEqualTo(201);
        return t;
    }

    private Api.Response procure(Tenant t, UUID product) {
        return api.post(OPERATOR_KEY, "/v1/operator/procurements", Api.map("tenantId", t.id().toString(),
                "productId", product.toString()));
    }

    @Test
    void inventoryRetiresWholeTonnesOfTheProductAndCoversAtOnce() {
        String projectId = unique("PURO");
        UUID product = product(projectId);
        Tenant t = paidUncovered(product);
        var none = procure(t, product);
        assertThat(none.status()).isEqualTo(409);
        assertThat(none.text("field")).isEqualTo("productId");
        var lot = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "PURO_EARTH", "projectId", projectId,
                "vintage", 2024, "serialPrefix", unique("PU"), "serialFirst", 1, "serialLast", 5,
                "pricePerTonne", 120, "currency", "EUR"));
        assertThat(lot.status()).as(lot.toString()).isEqualTo(201);

        var placed = procure(t, product);
        assertThat(placed.status()).as(placed.toString()).isEqualTo(201);
        assertThat(placed.text("provider")).isEqualTo("REGISTRY_INVENTORY");
        assertThat(placed.text("state")).isEqualTo("RETIRED");
        assertThat(placed.body().path("co2eGrams").decimalValue()).isEqualByComparingTo("1000000");
        var coverage = api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-10-01").body()
                .path("locationBased");
        assertThat(coverage.path("coveredGrams").decimalValue())
                .isEqualByComparingTo(coverage.path("emittedGrams").decimalValue());
        assertThat(api.get(t.key(), "/v1/trace/requests/a").body().path("coverage").path("status").asString())
                .isEqualTo("COVERED");
        var retirement = api.get(t.key(), "/v1/offsets/retirements").body().path("items").get(0);
        assertThat(retirement.path("id").asString()).isEqualTo(placed.text("retirementId"));

        var again = procure(t, product);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.text("field")).isEqualTo("tenantId");
    }

    @Test
    void aStripeClimateProductWithoutStripeConfiguredIs409() {
        UUID product = UUID.randomUUID();
        String sku = unique("climsku");
        jdbc.sql("""
                insert into offset_products (id, registry, registry_project_id, name, kind, created_at, provider,
                                             stripe_product_id)
                values (?, 'OTHER', ?, 'Frontier', 'REMOVAL', now(), 'STRIPE_CLIMATE', ?)""")
                .params(product, sku, sku).update();
        Tenant t = paidUncovered(product);
        var refused = procure(t, product);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.text("title")).isEqualTo("Stripe is not configured");
        assertThat(refused.text("field")).isEqualTo("productId");
    }

    @Test
    void anUnknownTenantOrProductIs400AndATenantKeyIs403() {
        UUID product = product(unique("PURO"));
        var unknownTenant = api.post(OPERATOR_KEY, "/v1/operator/procurements", Api.map("tenantId",
                UUID.randomUUID().toString(), "productId", product.toString()));
        assertThat(unknownTenant.status()).isEqualTo(400);
        assertThat(unknownTenant.text("field")).isEqualTo("tenantId");
        Tenant t = newTenant(unique("procure-refused"), 100);
        var unknownProduct = procure(t, UUID.randomUUID());
        assertThat(unknownProduct.status()).isEqualTo(400);
        assertThat(unknownProduct.text("field")).isEqualTo("productId");
        var missing = api.post(OPERATOR_KEY, "/v1/operator/procurements", Api.map("tenantId", t.id().toString()));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.text("field")).isEqualTo("productId");
        assertThat(api.post(t.key(), "/v1/operator/procurements", Api.map("tenantId", t.id().toString(),
                "productId", product.toString())).status()).isEqualTo(403);
    }
}
