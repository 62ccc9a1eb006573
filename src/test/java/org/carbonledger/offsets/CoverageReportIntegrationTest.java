package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage per tenant and window: covered by retired credits, pending payment, uncovered — on both bases. */
class CoverageReportIntegrationTest extends IntegrationTest {

    private BigDecimal grams(UUID tenant, String column, String month) {
        return jdbc.sql("""
                select coalesce(sum(e.%s), 0) from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                 where e.tenant_id = ? and to_char(r.ended_at at time zone 'UTC', 'YYYY-MM') = ?""".formatted(column))
                .params(tenant, month).query(BigDecimal.class).single();
    }

    private static void assertFigures(JsonNode f, BigDecimal emitted, BigDecimal covered, BigDecimal pending,
            BigDecimal uncovered) {
        assertThat(f.path("emittedGrams").decimalValue()).isEqualByComparingTo(emitted);
        assertThat(f.path("coveredGrams").decimalValue()).isEqualByComparingTo(covered);
        assertThat(f.path("pendingGrams").decimalValue()).isEqualByComparingTo(pending);
        assertThat(f.path("uncoveredGrams").decimalValue()).isEqualByComparingTo(uncovered);
    }

    @Test
    void paidIsCoveredInvoicedIsPendingTheRestIsUncovered() {
        String projectId = unique("COV");
        ensureProduct("OTHER", projectId, "REMOVAL");
        var lot = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "OTHER", "projectId", projectId,
                "vintage", 2023, "serialPrefix", unique("COV"), "serialFirst", 1, "serialLast", 10,
                "pricePerTonne", 20, "currency", "USD"));
        String productId = lot.text("productId");
        Tenant t = newTenant(unique("coverage"), 100);
        assertThat(api.send(t.key(), "PUT", "/v1/offsets/policy", java.net.http.HttpRequest.BodyPublishers.ofString(
                Api.JSON.writeValueAsString(Api.map("productId", productId))), "application/json").status())
                .isEqualTo(200);
        UUID w = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-12-01T00:05:00Z"));
        assertThat(ingest(t.key(), List.of(
                request("sep-1", w, 3000, 2000, Instant.parse("2026-09-10T00:00:00Z")),
                request("sep-2", w, 1000, 500, Instant.parse("2026-09-20T00:00:00Z")),
                request("oct-1", w, 2000, 2000, Instant.parse("2026-10-05T00:00:00Z")),
                request("nov-1", w, 500, 800, Instant.parse("2026-11-11T00:00:00Z")))).status()).isEqualTo(200);
        // September's electricity matched by instruments: its market-based mass is below the location-based one
        jdbc.sql("""
                update emission_records e set co2e_grams_market = round(e.co2e_grams_location / 4, 6)
                  from inference_requests r where r.id = e.inference_request_id and e.tenant_id = ?
                   and r.ended_at < '2026-10-01'""").param(t.id()).update();
        String september = api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).text("id");
        assertThat(api.post(t.key(), "/v1/invoices/" + september + "/payments", Api.map()).status()).isEqualTo(201);
        assertThat(api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-10")).status())
                .isEqualTo(201);

        var r = api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-12-01");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body().path("requests").asLong()).isEqualTo(4);
        BigDecimal sep = grams(t.id(), "co2e_grams_location", "2026-09");
        BigDecimal oct = grams(t.id(), "co2e_grams_location", "2026-10");
        BigDecimal nov = grams(t.id(), "co2e_grams_location", "2026-11");
        assertFigures(r.body().path("locationBased"), sep.add(oct).add(nov), sep, oct, nov);
        BigDecimal sepMarket = grams(t.id(), "co2e_grams_market", "2026-09");
        BigDecimal octMarket = grams(t.id(), "co2e_grams_market", "2026-10");
        BigDecimal novMarket = grams(t.id(), "co2e_grams_market", "2026-11");
        assertFigures(r.body().path("marketBased"), sepMarket.add(octMarket).add(novMarket), sepMarket, octMarket,
                novMarket);
        assertThat(sepMarket).isLessThan(sep);

        var september2 = api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-10-01");
        assertFigures(september2.body().path("locationBased"), sep, sep, BigDecimal.ZERO, BigDecimal.ZERO);

        // the same, per request, in its trace
        for (var expected : java.util.Map.of("sep-1", "COVERED", "oct-1", "PENDING_PAYMENT", "nov-1", "UNCOVERED")
                .entrySet()) {
            var trace = api.get(t.key(), "/v1/trace/requests/" + expected.getKey());
            assertThat(trace.body().path("coverage").path("status").asString()).as(expected.getKey())
                    .isEqualTo(expected.getValue());
        }
        assertThat(api.get(t.key(), "/v1/trace/requests/nov-1").body().path("coverage").path("uncoveredGrams")
                .decimalValue()).isEqualByComparingTo(nov);
    }

    @Test
    void aWindowEndingBeforeItStartsIsRefused() {
        Tenant t = newTenant(unique("coverage-window"), 100);
        var r = api.get(t.key(), "/v1/offsets/coverage?from=2026-09-01&to=2026-09-01");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("to");
        var tooLong = api.get(t.key(), "/v1/offsets/coverage?from=2020-01-01&to=2026-09-01");
        assertThat(tooLong.text("field")).isEqualTo("from");
        var farFuture = api.get(t.key(), "/v1/offsets/coverage?from=9999-12-01&to=%2B10000-01-05");
        assertThat(farFuture.status()).isEqualTo(400);
        assertThat(farFuture.text("field")).isEqualTo("to");
    }
}
