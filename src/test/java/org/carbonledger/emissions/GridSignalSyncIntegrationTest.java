package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.GridStub;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Provider syncs end to end, against the local stand-in of the Electricity Maps and WattTime APIs. */
class GridSignalSyncIntegrationTest extends IntegrationTest {

    private static final String REGION = "eu-west-1";
    private Tenant tenant;
    private UUID workload;

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("grid"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", REGION);
    }

    private Map<String, Object> latest(String requestId) {
        return jdbc.sql("""
                select e.version, e.co2e_grams_location, e.co2e_grams_market, e.co2e_grams_marginal, e.energy_joules,
                       e.factor_source, e.factor_zone, e.factor_valid_from, e.factor_valid_to,
                       e.factor_dataset_version, e.factor_status, e.factor_signal_type, e.marginal_signal_id
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.request_id = ? and r.tenant_id = ? order by e.version desc limit 1""")
                .params(requestId, tenant.id()).query().singleRow();
    }

    @Test
    void electricityMapsHoursBecomeFactorsWithProvenanceAndRestateRecordsOnce() {
        String zone = "IE-" + unique("z");
        Instant end = Instant.parse("2026-09-29T10:30:00Z");
        assertThat(ingest(tenant.key(), List.of(request("em", workload, 500, 300, end))).status()).isEqualTo(200);
        GRID.answer("/v3/carbon-intensity/history", GridStub.ok("""
                {"zone":"%1$s","history":[
                  {"zone":"%1$s","carbonIntensity":250,"datetime":"2026-09-29T10:00:00.000Z",
                   "updatedAt":"2026-09-29T12:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":true,
                   "estimationMethod":"TIME_SLICER_AVERAGE"},
                  {"zone":"%1$s","carbonIntensity":240,"datetime":"2026-09-29T11:00:00.000Z",
                   "updatedAt":"2026-09-29T12:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":false,
                   "estimationMethod":null}]}""".formatted(zone)));
        var sync = api.post(OPERATOR_KEY, "/v1/grid-signals/electricity-maps/syncs?region=" + REGION + "&zone=" + zone,
                Map.of());
        assertThat(sync.status()).as(sync.toString()).isEqualTo(200);
        assertThat(sync.body().path("points").asInt()).isEqualTo(2);
        assertThat(sync.body().path("imported").asInt()).isEqualTo(2);
        assertThat(sync.body().path("restated").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(GRID.requests("/v3/carbon-intensity/history?zone=" + zone).get(0).headers().get("Auth-token"))
                .containsExactly("em-test-token");

        var record = latest("em");
        assertThat(record.get("version")).isEqualTo(2);
        assertThat(record.get("factor_source")).isEqualTo("Electricity Maps API v3");
        assertThat(record.get("factor_zone")).isEqualTo(zone);
        assertThat(record.get("factor_valid_from").toString()).startsWith("2026-09-29 10:00");
        assertThat(record.get("factor_valid_to").toString()).startsWith("2026-09-29 11:00");
        assertThat(record.get("factor_status")).isEqualTo("ESTIMATED");
        assertThat(record.get("factor_signal_type")).isEqualTo("average-lifecycle");
        assertThat(record.get("factor_dataset_version")).isEqualTo("electricitymaps:lifecycle:2026-09-29T12:00:00Z");
        BigDecimal kwh = ((BigDecimal) record.get("energy_joules")).divide(new BigDecimal("3600000"),
                MathContext.DECIMAL64);
        assertThat((BigDecimal) record.get("co2e_grams_location"))
                .isCloseTo(kwh.multiply(new BigDecimal("250")), within(new BigDecimal("0.000001")));

        // the same answer again: every hour is already stored, nothing is restated twice
        var again = api.post(OPERATOR_KEY, "/v1/grid-signals/electricity-maps/syncs?region=" + REGION + "&zone="
                + zone, Map.of());
        assertThat(again.body().path("alreadyStored").asInt()).isEqualTo(2);
        assertThat(again.body().path("restated").asInt()).isZero();
        assertThat(latest("em").get("version")).isEqualTo(2);
    }

    @Test
    void wattTimeMoerIsItsOwnFigureBesideLocationAndMarketBased() {
        String wtRegion = "WT_" + unique("r");
        GRID.answer("/login", GridStub.ok("{\"token\":\"wt-token\"}"));
        GRID.answer("/v3/historical", GridStub.ok("""
                {"data":[{"point_time":"2026-09-28T10:00:00+00:00","value":1000.0},
                         {"point_time":"2026-09-28T10:05:00+00:00","value":800.0}],
                 "meta":{"data_point_period_seconds":300,"region":"%s","warnings":[],"signal_type":"co2_moer",
                         "model":{"date":"2026-03-01"},"units":"lbs_co2_per_mwh"}}""".formatted(wtRegion)));
        var sync = api.post(OPERATOR_KEY, "/v1/grid-signals/watttime/syncs?region=" + REGION + "&wattTimeRegion="
                + wtRegion + "&start=2026-09-28T10:00:00Z&end=2026-09-28T10:10:00Z", Map.of());
        assertThat(sync.status()).as(sync.toString()).isEqualTo(200);
        assertThat(sync.body().path("points").asInt()).isEqualTo(2);
        assertThat(sync.body().path("stored").asInt()).isEqualTo(2);

        // a request ending 10:02 meets the 10:00 point: 1,000 lb/MWh = 453.59237 g/kWh
        ingest(tenant.key(), List.of(request("moer", workload, 500, 300, Instant.parse("2026-09-28T10:02:00Z"))));
        var record = latest("moer");
        BigDecimal kwh = ((BigDecimal) record.get("energy_joules")).divide(new BigDecimal("3600000"),
                MathContext.DECIMAL64);
        assertThat((BigDecimal) record.get("co2e_grams_marginal"))
                .isCloseTo(kwh.multiply(new BigDecimal("453.59237")), within(new BigDecimal("0.000001")));
        assertThat(record.get("marginal_signal_id")).isNotNull();
        // the location-based figure is the region's factor, not the marginal one
        assertThat((BigDecimal) record.get("co2e_grams_location")).isNotEqualByComparingTo(
                (BigDecimal) record.get("co2e_grams_marginal"));
        assertThat(record.get("factor_signal_type")).isEqualTo("average");
        assertThat(jdbc.sql("select zone || ' ' || signal_type || ' ' || model_version || ' ' || units"
                + " from marginal_signals where id = ?").param(record.get("marginal_signal_id"))
                .query(String.class).single()).isEqualTo(wtRegion + " co2_moer 2026-03-01 lbs_co2_per_mwh");
    }

    @Test
    void anUnavailableProviderIsA503NamingItAndStoresNothing() {
        String zone = "DOWN-" + unique("z");
        GRID.answer("/v3/carbon-intensity/history", GridStub.status(502, "{}"));
        var response = api.post(OPERATOR_KEY, "/v1/grid-signals/electricity-maps/syncs?region=" + REGION + "&zone="
                + zone, Map.of());
        assertThat(response.status()).isEqualTo(503);
        assertThat(response.text("field")).isEqualTo("provider");
        assertThat(response.text("detail")).isEqualTo("electricity-maps: answered 502 after 3 attempts");
        assertThat(jdbc.sql("select count(*) from emission_factors where zone = ?").param(zone).query(Long.class)
                .single()).isZero();
    }

    @Test
    void rejectsBadSyncParametersNamingTheField() {
        var unknown = api.post(OPERATOR_KEY, "/v1/grid-signals/watttime/syncs?region=nowhere-1&wattTimeRegion=X"
                + "&start=2026-09-28T10:00:00Z&end=2026-09-28T11:00:00Z", Map.of());
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.text("field")).isEqualTo("region");
        var backwards = api.post(OPERATOR_KEY, "/v1/grid-signals/watttime/syncs?region=" + REGION
                + "&wattTimeRegion=X&start=2026-09-28T10:00:00Z&end=2026-09-28T09:00:00Z", Map.of());
        assertThat(backwards.status()).isEqualTo(400);
        assertThat(backwards.text("field")).isEqualTo("end");
        assertThat(api.post(tenant.key(), "/v1/grid-signals/electricity-maps/syncs?region=" + REGION + "&zone=IE",
                Map.of()).status()).isEqualTo(403);
    }
}
