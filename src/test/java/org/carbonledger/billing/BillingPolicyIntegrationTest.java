package org.carbonledger.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Pricing policies, N-day periods and restatements, in offline mode. */
class BillingPolicyIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID chat;

    @org.springframework.beans.factory.annotation.Autowired
    org.springframework.context.ApplicationEventPublisher events;

    @org.springframework.beans.factory.annotation.Autowired
    org.carbonledger.receipts.Audit audit;

    @BeforeEach
    void tenantWithAWorkload() {
        tenant = newTenant(unique("policy"), 1_000_000);
        chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private Api.Response putPolicy(Object... keyValues) {
        return api.send(tenant.key(), "PUT", "/v1/billing/policy", java.net.http.HttpRequest.BodyPublishers
                .ofString(Api.JSON.writeValueAsString(Api.map(keyValues))), "application/json");
    }

    private Api.Response close(Object... body) {
        return api.post(tenant.key(), "/v1/billing/periods/close", Api.map(body));
    }

    private static JsonNode line(Api.Response invoice, String kind) {
        for (JsonNode line : invoice.body().path("lines")) {
            if (line.path("kind").asString().equals(kind)) {
                return line;
            }
        }
        throw new AssertionError("no " + kind + " line in " + invoice);
    }

    private BigDecimal sum(String column) {
        return jdbc.sql("select sum(" + column + ") from emission_records where tenant_id = ?").param(tenant.id())
                .query(BigDecimal.class).single();
    }

    @Test
    void theDefaultPolicyIsTheTenantsPriceMonthlyOnTheCentralEstimate() {
        var policy = api.get(tenant.key(), "/v1/billing/policy");
        assertThat(policy.text("pricingMode")).isEqualTo("FIXED");
        assertThat(policy.body().path("pricePerTonne").decimalValue()).isEqualByComparingTo("1000000");
        assertThat(policy.text("uncertainty")).isEqualTo("CENTRAL");
        assertThat(policy.body().path("periodDays").isNull()).isTrue();
    }

    @Test
    void marginFeeAndTheUpperBoundAreBilledAndStated() {
        assertThat(putPolicy("pricingMode", "FIXED", "pricePerTonne", 1_000_000, "marginPercent", 12.5,
                "feePerInvoice", 2.5, "currency", "USD", "uncertainty", "UPPER_BOUND").status()).isEqualTo(200);
        ingest(tenant.key(), List.of(request("a", chat, 700, 300, Instant.parse("2026-09-10T00:00:00Z"))));
        var invoice = close("period", "2026-09");
        assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
        assertThat(invoice.text("uncertainty")).isEqualTo("UPPER_BOUND");
        JsonNode usage = line(invoice, "USAGE");
        BigDecimal high = sum("co2e_grams_high");
        assertThat(usage.path("co2eGrams").decimalValue()).isEqualByComparingTo(high);
        assertThat(usage.path("model").asString()).isEqualTo("meta-llama/Meta-Llama-3.1-70B-Instruct");
        assertThat(usage.path("description").asString()).endsWith(", upper bound");
        assertThat(usage.path("pricePerTonne").decimalValue()).isEqualByComparingTo("1125000");
        assertThat(usage.path("amount").decimalValue())
                .isEqualByComparingTo(high.multiply(new BigDecimal("1.125")).setScale(2, RoundingMode.HALF_EVEN));
        assertThat(line(invoice, "FEE").path("amount").decimalValue()).isEqualByComparingTo("2.50");
        assertThat(line(invoice, "FEE").path("workloadId").isNull()).isTrue();
        assertThat(invoice.body().path("totalAmount").decimalValue()).isEqualByComparingTo(
                usage.path("amount").decimalValue().add(new BigDecimal("2.50")));
        newLot(unique("UB"), 1, 10, 2024);
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments", Api.map());
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);
        assertThat(api.get(tenant.key(), "/v1/receipts").body().path("items").size()).isEqualTo(1);
    }

    @Test
    void periodsOfNDaysStartAtTheAnchorAndEveryNDaysAfter() {
        assertThat(putPolicy("pricingMode", "FIXED", "pricePerTonne", 100, "currency", "EUR", "periodDays", 7,
                "periodAnchor", "2026-09-07").status()).isEqualTo(200);
        ingest(tenant.key(), List.of(request("w", chat, 10, 10, Instant.parse("2026-09-15T00:00:00Z")),
                request("x", chat, 10, 10, Instant.parse("2026-09-22T00:00:00Z"))));
        var misaligned = close("periodStart", "2026-09-15");
        assertThat(misaligned.status()).isEqualTo(400);
        assertThat(misaligned.text("field")).isEqualTo("periodStart");
        var week = close("periodStart", "2026-09-14");
        assertThat(week.status()).as(week.toString()).isEqualTo(201);
        assertThat(week.text("periodEnd")).isEqualTo("2026-09-21");
        assertThat(week.text("currency")).isEqualTo("EUR");
        assertThat(week.text("number")).startsWith("INV-2026-09-14-");
        assertThat(line(week, "USAGE").path("requestCount").asLong()).isEqualTo(1);
        assertThat(close("periodStart", "2026-09-14").status()).isEqualTo(200);
        assertThat(close("periodStart", "2026-09-21").body().path("lines").get(0).path("requestCount").asLong())
                .isEqualTo(1);
        var both = close("period", "2026-09", "periodStart", "2026-09-28");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.text("field")).isEqualTo("period");
    }

    @Test
    void aPolicyOutOfRangeIs400NamingTheField() {
        var noPrice = putPolicy("pricingMode", "FIXED", "currency", "USD");
        assertThat(noPrice.status()).isEqualTo(400);
        assertThat(noPrice.text("field")).isEqualTo("pricePerTonne");
        var anchorAlone = putPolicy("pricingMode", "FIXED", "pricePerTonne", 1, "currency", "USD",
                "periodAnchor", "2026-09-01");
        assertThat(anchorAlone.status()).isEqualTo(400);
        assertThat(anchorAlone.text("field")).isEqualTo("periodAnchor");
        var margin = putPolicy("pricingMode", "FIXED", "pricePerTonne", 1, "currency", "USD", "marginPercent", -1);
        assertThat(margin.status()).isEqualTo(400);
        assertThat(margin.text("field")).isEqualTo("marginPercent");
        var currency = putPolicy("pricingMode", "FIXED", "pricePerTonne", 1, "currency", "XYZ");
        assertThat(currency.status()).isEqualTo(400);
        assertThat(currency.text("field")).isEqualTo("currency");
    }

    @Test
    void passThroughPricesAtTheLotPriceOfTheNextCredits() {
        ensureProduct("PURO_EARTH", "P-1", "REMOVAL");
        var lot = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "PURO_EARTH", "projectId", "P-1",
                "vintage", 2100, "serialPrefix", unique("PT"),
                "serialFirst", 1, "serialLast", 10, "pricePerTonne", 180, "currency", "CHF"));
        assertThat(lot.status()).isEqualTo(201);
        assertThat(putPolicy("pricingMode", "PASS_THROUGH", "marginPercent", 5, "currency", "CHF").status())
                .isEqualTo(200);
        ingest(tenant.key(), List.of(request("p", chat, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        var invoice = close("period", "2026-09");
        assertThat(invoice.text("pricingMode")).isEqualTo("PASS_THROUGH");
        assertThat(line(invoice, "USAGE").path("pricePerTonne").decimalValue()).isEqualByComparingTo("189");
        Tenant other = newTenant(unique("no-inventory"), 1);
        var none = api.send(other.key(), "PUT", "/v1/billing/policy", java.net.http.HttpRequest.BodyPublishers
                .ofString(Api.JSON.writeValueAsString(Api.map("pricingMode", "PASS_THROUGH", "currency", "JPY"))),
                "application/json");
        assertThat(none.status()).isEqualTo(200);
        assertThat(api.post(other.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).status())
                .isEqualTo(409);
    }

    @Test
    void restatementsAfterBillingBecomeCreditNotesAndAdjustments() {
        ingest(tenant.key(), List.of(request("down", chat, 300, 300, Instant.parse("2026-09-10T00:00:00Z")),
                request("up", chat, 300, 300, Instant.parse("2026-09-11T00:00:00Z"))));
        var september = close("period", "2026-09");
        newLot(unique("RS"), 1, 10, 2024);
        assertThat(api.post(tenant.key(), "/v1/invoices/" + september.text("id") + "/payments", Api.map())
                .status()).isEqualTo(201);
        BigDecimal down = grams("down");
        BigDecimal up = grams("up");
        restate("down", "0.5");
        restate("up", "2");
        clock.set(Instant.parse("2026-11-01T00:00:01Z"));
        var october = close("period", "2026-10");
        assertThat(october.status()).as(october.toString()).isEqualTo(201);
        JsonNode credit = line(october, "CREDIT_NOTE");
        JsonNode adjustment = line(october, "ADJUSTMENT");
        // the restated mass is stored at 6 decimals (PostgreSQL numeric rounds half away from zero)
        BigDecimal restatedDown = down.multiply(new BigDecimal("0.5")).setScale(6, RoundingMode.HALF_UP);
        BigDecimal halfDown = down.subtract(restatedDown);
        assertThat(credit.path("co2eGrams").decimalValue()).isEqualByComparingTo(halfDown.negate());
        assertThat(credit.path("amount").decimalValue())
                .isEqualByComparingTo(halfDown.negate().setScale(2, RoundingMode.HALF_EVEN));
        assertThat(adjustment.path("co2eGrams").decimalValue()).isEqualByComparingTo(up);
        assertThat(october.body().path("co2eGrams").decimalValue()).isEqualByComparingTo(up.subtract(halfDown));
        assertThat(api.post(tenant.key(), "/v1/invoices/" + october.text("id") + "/payments", Api.map())
                .status()).isEqualTo(201);
        // the restated-up request is covered once, for its new mass: the difference was allocated on payment
        assertThat(allocatedToRequest("up")).isEqualByComparingTo(up.multiply(BigDecimal.valueOf(2)));
        assertThat(allocatedToRequest("down")).isEqualByComparingTo(down);

        // the audit accounts for billed versions: usage, then the credit note and the adjustment of the restatements
        List<String> ours = jdbc.sql("""
                select number from invoices where tenant_id = ?
                union all select id::text from emission_records where tenant_id = ?
                union all select id::text from offset_allocations where tenant_id = ?""")
                .params(tenant.id(), tenant.id(), tenant.id()).query(String.class).list();
        assertThat(ours).hasSizeGreaterThan(6);
        assertThat(audit.run().findings()).map(Object::toString)
                .noneMatch(f -> ours.stream().anyMatch(f::contains));
    }

    private BigDecimal grams(String requestId) {
        return jdbc.sql("""
                select e.co2e_grams_location from emission_records e join inference_requests r
                    on r.id = e.inference_request_id where r.tenant_id = ? and r.request_id = ? and e.version = 1""")
                .params(tenant.id(), requestId).query(BigDecimal.class).single();
    }

    private BigDecimal allocatedToRequest(String requestId) {
        return jdbc.sql("""
                select coalesce(sum(a.co2e_grams), 0) from offset_allocations a
                  join emission_records e on e.id = a.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = ?""").params(tenant.id(), requestId)
                .query(BigDecimal.class).single();
    }

    /**
     * A methodology change restates a request: a new emission record version with its masses scaled, published like
     * every inserted version (so it is a leaf of the transparency log).
     */
    private void restate(String requestId, String factor) {
        BigDecimal f = new BigDecimal(factor);
        UUID restated = jdbc.sql("""
                insert into emission_records (id, tenant_id, inference_request_id, version, methodology_version,
                    energy_joules, energy_joules_low, energy_joules_high, pue, emission_factor_id, co2e_grams_location,
                    co2e_grams_market, co2e_grams_low, co2e_grams_high, calculated_at,
                    energy_joules_prefill, energy_joules_decode, energy_joules_accelerator, energy_joules_host,
                    energy_joules_idle, energy_joules_pue_overhead, co2e_grams_embodied, batch_occupancy, gpu_key,
                    estimator_flags, energy_basis, factor_source, factor_zone, factor_valid_from, factor_valid_to,
                    factor_dataset_version, factor_status, market_coverage, market_residual_basis)
                select gen_random_uuid(), e.tenant_id, e.inference_request_id, e.version + 1,
                       e.methodology_version || '+restated', e.energy_joules, e.energy_joules_low,
                       e.energy_joules_high, e.pue, e.emission_factor_id, e.co2e_grams_location * ?,
                       e.co2e_grams_market * ?, e.co2e_grams_low * ?, e.co2e_grams_high * ?, e.calculated_at,
                       e.energy_joules_prefill, e.energy_joules_decode, e.energy_joules_accelerator,
                       e.energy_joules_host, e.energy_joules_idle, e.energy_joules_pue_overhead, e.co2e_grams_embodied,
                       e.batch_occupancy, e.gpu_key, e.estimator_flags, e.energy_basis, e.factor_source, e.factor_zone,
                       e.factor_valid_from, e.factor_valid_to, e.factor_dataset_version, e.factor_status,
                       e.market_coverage, e.market_residual_basis
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = ? and e.version = 1
                returning id""")
                .params(f, f, f, f, tenant.id(), requestId).query(UUID.class).single();
        events.publishEvent(new org.carbonledger.emissions.EmissionsRecorded(tenant.id(), List.of(restated)));
    }
}
