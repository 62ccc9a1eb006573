package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The IDLE_CAPACITY policy keeps a window's idle energy on the window; a measured record restated by a new hourly
 * factor keeps its measured energy.
 */
class MeasuredIdleCapacityIntegrationTest extends IntegrationTest {

    private static final Instant W0 = Instant.parse("2026-10-01T06:00:00Z");

    @Autowired
    EmissionsRecorder recorder;

    @Test
    void idleCapacityIsKeptOnTheWindowAndMeasuredEnergySurvivesFactorRestatements() {
        Tenant tenant = newTenant(unique("idle"), 100);
        String region = "eu-north-1";
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", region);
        String node = unique("node");
        var ingest = ingest(tenant.key(), List.of(Api.map("requestId", "only", "workloadId", workload.toString(),
                "inputTokens", 100, "outputTokens", 100, "startedAt", W0.plusSeconds(60).toString(),
                "endedAt", W0.plusSeconds(120).toString(), "nodeId", node)));
        assertThat(ingest.status()).as(ingest.toString()).isEqualTo(200);
        // 100 W for the whole window: 30,000 J, of which 60 s busy (6,000 J) and 240 s idle (24,000 J)
        var samples = api.post(tenant.key(), "/v1/telemetry/energy", Api.map("samples", List.of(
                Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0, "sampledAt", W0.toString(),
                        "energyJoulesTotal", 0),
                Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0,
                        "sampledAt", W0.plusSeconds(300).toString(), "energyJoulesTotal", 30000))));
        assertThat(samples.status()).isEqualTo(200);

        var attribution = new MeasuredAttribution(jdbc, recorder, clock, Duration.ofMinutes(5), Duration.ofMinutes(5),
                MeasuredAttribution.IdlePolicy.IDLE_CAPACITY, Duration.ofMinutes(15), Duration.ofDays(7));
        attribution.processClosedWindows();
        var window = jdbc.sql("""
                select idle_policy, energy_joules_measured, energy_joules_idle, energy_joules_attributed,
                       energy_joules_idle_capacity, energy_joules_residual
                  from measurement_windows where tenant_id = ? and node_id = ?""")
                .params(tenant.id(), node).query().singleRow();
        assertThat(window.get("idle_policy")).isEqualTo("IDLE_CAPACITY");
        assertThat((BigDecimal) window.get("energy_joules_measured")).isEqualByComparingTo("30000");
        assertThat((BigDecimal) window.get("energy_joules_idle")).isEqualByComparingTo("24000");
        assertThat((BigDecimal) window.get("energy_joules_attributed")).isEqualByComparingTo("6000");
        assertThat((BigDecimal) window.get("energy_joules_idle_capacity")).isEqualByComparingTo("24000");
        assertThat((BigDecimal) window.get("energy_joules_residual")).isEqualByComparingTo("0");

        // an hourly factor for the request's hour restates the measured record: same energy, new factor
        var hourly = api.send(OPERATOR_KEY, "POST", "/v1/emission-factors/hourly?datasetVersion=" + unique("m")
                + "&source=test-grid&status=FINAL", HttpRequest.BodyPublishers.ofString(
                "region,hour_start,gco2e_per_kwh\n" + region + ",2026-10-01T06:00:00Z,36\n"), "text/csv");
        assertThat(hourly.status()).as(hourly.toString()).isEqualTo(200);
        List<Map<String, Object>> versions = jdbc.sql("""
                select e.version, e.methodology_version, e.energy_joules_accelerator, e.co2e_grams_location,
                       e.energy_joules from emission_records e join inference_requests r
                    on r.id = e.inference_request_id where r.tenant_id = ? and r.request_id = 'only'
                 order by e.version""").param(tenant.id()).query().listOfRows();
        assertThat(versions).hasSize(3);
        assertThat(versions).extracting(v -> v.get("methodology_version"))
                .containsExactly("estimator-v1", "measured-v1", "measured-v1");
        assertThat((BigDecimal) versions.get(1).get("energy_joules_accelerator")).isEqualByComparingTo("6000");
        assertThat((BigDecimal) versions.get(2).get("energy_joules_accelerator")).isEqualByComparingTo("6000");
        // energy [kWh] × 36 g/kWh
        assertThat((BigDecimal) versions.get(2).get("co2e_grams_location")).isEqualByComparingTo(
                ((BigDecimal) versions.get(2).get("energy_joules")).multiply(new BigDecimal("36"))
                        .divide(new BigDecimal("3600000"), 6, java.math.RoundingMode.HALF_EVEN));
    }
}
