package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InstrumentsIntegrationTest extends IntegrationTest {

    private static final String REGION = "eu-west-2"; // AWS, annual CCF factor 225 gCO2e/kWh
    private Tenant tenant;
    private java.util.UUID workload;

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("market"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", REGION);
    }

    private Api.Response add(String key, Object coverage, String start, String end) {
        return api.post(key, "/v1/energy-instruments", Api.map("tenantId", tenant.id().toString(), "region", REGION,
                "periodStart", start, "periodEnd", end, "coverage", coverage, "gco2ePerKwh", 0, "kind", "EAC",
                "reference", "GO-2026-09-" + tenant.id()));
    }

    private Map<String, Object> record(String requestId) {
        return jdbc.sql("""
                select e.co2e_grams_location, e.co2e_grams_market, e.market_coverage, e.market_residual_basis
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.request_id = ? and r.tenant_id = ?""").params(requestId, tenant.id()).query().singleRow();
    }

    @Test
    void coveredShareTakesTheInstrumentsIntensityAndTheRestTheGrid() {
        var created = add(OPERATOR_KEY, 0.6, "2026-09-01", "2026-10-01");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        ingest(tenant.key(), List.of(request("covered", workload, 500, 300, Instant.parse("2026-09-10T12:00:00Z")),
                request("outside", workload, 500, 300, Instant.parse("2026-08-10T12:00:00Z"))));
        // 1,165.943603 J: location × 225 g/kWh; market × (0.6 × 0 + 0.4 × 225 = 90) g/kWh (no residual mix loaded)
        var covered = record("covered");
        assertThat((BigDecimal) covered.get("co2e_grams_location")).isEqualByComparingTo("0.072871");
        assertThat((BigDecimal) covered.get("co2e_grams_market")).isEqualByComparingTo("0.029149");
        assertThat((BigDecimal) covered.get("market_coverage")).isEqualByComparingTo("0.6");
        assertThat(covered.get("market_residual_basis")).isEqualTo("LOCATION");
        var outside = record("outside");
        assertThat((BigDecimal) outside.get("co2e_grams_market")).isEqualByComparingTo("0.072871");
        assertThat((BigDecimal) outside.get("market_coverage")).isEqualByComparingTo("0");
    }

    @Test
    void coverageAboveOneOnAnyDayIsAConflict() {
        assertThat(add(OPERATOR_KEY, 0.6, "2026-09-01", "2026-10-01").status()).isEqualTo(201);
        assertThat(add(OPERATOR_KEY, 0.4, "2026-09-15", "2026-11-01").status()).isEqualTo(201);
        var over = add(OPERATOR_KEY, 0.1, "2026-09-20", "2026-09-21");
        assertThat(over.status()).isEqualTo(409);
        // October: 0.4 from the second instrument, + 0.6 = exactly 1 is allowed; one more share is not
        assertThat(add(OPERATOR_KEY, 0.6, "2026-10-01", "2026-10-02").status()).isEqualTo(201);
        assertThat(add(OPERATOR_KEY, new BigDecimal("0.0001"), "2026-09-30", "2026-10-02").status()).isEqualTo(409);
    }

    @Test
    void badInstrumentsAreRejectedNamingTheField() {
        var region = api.post(OPERATOR_KEY, "/v1/energy-instruments", Api.map("tenantId", tenant.id().toString(),
                "region", "mars-1", "periodStart", "2026-09-01", "periodEnd", "2026-10-01", "coverage", 0.5,
                "gco2ePerKwh", 0, "kind", "PPA", "reference", "x"));
        assertThat(region.status()).isEqualTo(400);
        assertThat(region.text("field")).isEqualTo("region");
        var period = add(OPERATOR_KEY, 0.5, "2026-09-01", "2026-09-01");
        assertThat(period.status()).isEqualTo(400);
        assertThat(period.text("field")).isEqualTo("periodEnd");
        assertThat(add(tenant.key(), 0.5, "2026-09-01", "2026-10-01").status()).isEqualTo(403);
    }
}
