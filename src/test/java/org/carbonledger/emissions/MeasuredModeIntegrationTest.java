package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Measured mode on a hand-computable node: two GPUs, one 5-minute window, a counter reset, three requests (one
 * running into the next window), then the next window's samples arriving.
 */
class MeasuredModeIntegrationTest extends IntegrationTest {

    private static final Instant W0 = Instant.parse("2026-10-01T07:00:00Z");
    private Tenant tenant;
    private UUID workload;
    private String node;

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("measured"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        node = unique("node");
    }

    private Map<String, Object> sample(int gpu, String at, String joules) {
        return Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", gpu,
                "sampledAt", W0.plusSeconds(Long.parseLong(at)).toString(), "energyJoulesTotal", new BigDecimal(joules));
    }

    private Map<String, Object> onNode(String id, long in, long out, long startSecond, long endSecond) {
        return Api.map("requestId", id, "workloadId", workload.toString(), "inputTokens", in, "outputTokens", out,
                "startedAt", W0.plusSeconds(startSecond).toString(), "endedAt", W0.plusSeconds(endSecond).toString(),
                "nodeId", node);
    }

    private void samples(List<?> samples) {
        var response = api.post(tenant.key(), "/v1/telemetry/energy", Api.map("samples", samples));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(samples.size());
    }

    private Api.Response run() {
        var response = api.post(OPERATOR_KEY, "/v1/measurements/attribution-runs", Map.of());
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response;
    }

    private List<Map<String, Object>> versions(String requestId) {
        return jdbc.sql("""
                select e.version, e.methodology_version, e.energy_basis, e.energy_joules_accelerator,
                       e.energy_joules_prefill, e.energy_joules_decode, e.energy_joules, e.energy_joules_low,
                       e.energy_joules_high, e.co2e_grams_location, e.co2e_grams_market, e.estimator_flags,
                       f.gco2e_per_kwh
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                  join emission_factors f on f.id = e.emission_factor_id
                 where r.request_id = ? and r.tenant_id = ? order by e.version""")
                .params(requestId, tenant.id()).query().listOfRows();
    }

    private BigDecimal weight(String requestId) {
        return jdbc.sql("""
                select a.weight_joules from measured_attributions a
                  join inference_requests r on r.id = a.inference_request_id
                  join measurement_windows w on w.id = a.window_id
                 where r.tenant_id = ? and r.request_id = ? and w.window_start = ?""")
                .params(tenant.id(), requestId, java.sql.Timestamp.from(W0)).query(BigDecimal.class).single();
    }

    private static BigDecimal dec(Object o) {
        return (BigDecimal) o;
    }

    @Test
    void attributesWindowEnergyByTokenWeightsRestatesOnceAndWaitsForOpenWindows() {
        var ingest = ingest(tenant.key(), List.of(onNode("r1", 500, 300, 60, 120), onNode("r2", 1000, 100, 90, 180),
                onNode("r3", 200, 400, 240, 360),
                // a request elsewhere (no node) is never attributed
                request("elsewhere", workload, 500, 300, W0.plusSeconds(100))));
        assertThat(ingest.status()).as(ingest.toString()).isEqualTo(200);
        assertThat(ingest.body().path("accepted").asInt()).isEqualTo(4);
        // GPU 0: 300 W for the whole window (90,000 J). GPU 1: 200 W until 07:02:30 (30,000 J), then its counter
        // restarts from 0 and reads 20,000 J at 07:05 (20,000 J counted since the restart).
        samples(List.of(sample(0, "0", "10000"), sample(0, "300", "100000"),
                sample(1, "0", "5000"), sample(1, "150", "35000"), sample(1, "300", "20000")));

        run();
        var windows = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node);
        assertThat(windows.status()).as(windows.toString()).isEqualTo(200);
        assertThat(windows.body().path("items").size()).as("07:05–07:10 waits for samples after 07:10").isEqualTo(1);
        var w = windows.body().path("items").get(0);
        assertThat(w.path("windowStart").asString()).isEqualTo("2026-10-01T07:00:00Z");
        assertThat(w.path("windowEnd").asString()).isEqualTo("2026-10-01T07:05:00Z");
        assertThat(w.path("energyJoulesMeasured").decimalValue()).isEqualByComparingTo("140000");
        // requests in flight 07:01–07:03 and 07:04–07:05 (180 s); idle 120 s:
        // GPU 0 300 W × 120 s + GPU 1 200 W × 60 s (07:00–07:01) + 133.33 W × 60 s (07:03–07:04)
        assertThat(w.path("energyJoulesIdle").decimalValue()).isEqualByComparingTo("56000");
        assertThat(w.path("counterResets").asInt()).isEqualTo(1);
        assertThat(w.path("gpuSecondsCovered").decimalValue()).isEqualByComparingTo("600");
        assertThat(w.path("idlePolicy").asString()).isEqualTo("PRO_RATA");
        assertThat(w.path("requests").asInt()).isEqualTo(3);
        // pro rata: the idle energy goes to the same requests, nothing is left over
        assertThat(w.path("energyJoulesAttributed").decimalValue()).isEqualByComparingTo("140000");
        assertThat(w.path("energyJoulesIdleCapacity").decimalValue()).isEqualByComparingTo("0");
        assertThat(w.path("energyJoulesResidual").decimalValue()).isEqualByComparingTo("0");

        // weights: each request's estimated accelerator energy (prefill + decode) × share of its time in the window
        BigDecimal e1 = dec(versions("r1").get(0).get("energy_joules_accelerator"));
        BigDecimal e2 = dec(versions("r2").get(0).get("energy_joules_accelerator"));
        BigDecimal e3 = dec(versions("r3").get(0).get("energy_joules_accelerator"));
        // the weights used: the estimate at the stored (3-decimal) batch occupancy, so within 0.1 % of the record's
        BigDecimal w1 = weight("r1");
        BigDecimal w2 = weight("r2");
        BigDecimal w3 = weight("r3");
        assertThat(w1).isCloseTo(e1, within(e1.movePointLeft(3)));
        assertThat(w2).isCloseTo(e2, within(e2.movePointLeft(3)));
        BigDecimal halfE3 = e3.multiply(new BigDecimal("0.5")); // 07:04–07:05 of 07:04–07:06
        assertThat(w3).isCloseTo(halfE3, within(halfE3.movePointLeft(3)));
        BigDecimal total = w1.add(w2).add(w3);
        assertThat(w.path("energyJoulesEstimated").decimalValue()).isEqualByComparingTo(total);
        BigDecimal expected1 = new BigDecimal("140000").multiply(w1).divide(total, MathContext.DECIMAL64);
        BigDecimal expected2 = new BigDecimal("140000").multiply(w2).divide(total, MathContext.DECIMAL64);

        var r1 = versions("r1");
        assertThat(r1).hasSize(2); // the estimate is kept
        assertThat(r1.get(0).get("energy_basis")).isEqualTo("ESTIMATED");
        var m1 = r1.get(1);
        assertThat(m1.get("methodology_version")).isEqualTo("measured-v1");
        assertThat(m1.get("energy_basis")).isEqualTo("MEASURED");
        assertThat((String) m1.get("estimator_flags")).contains("measured");
        assertThat(dec(m1.get("energy_joules_accelerator"))).isCloseTo(expected1, within(new BigDecimal("0.00001")));
        assertThat(dec(versions("r2").get(1).get("energy_joules_accelerator")))
                .isCloseTo(expected2, within(new BigDecimal("0.00001")));
        // prefill/decode split as the estimate splits it; location- and market-based side by side
        BigDecimal estPrefillShare = dec(r1.get(0).get("energy_joules_prefill"))
                .divide(e1, MathContext.DECIMAL64);
        assertThat(dec(m1.get("energy_joules_prefill")).divide(dec(m1.get("energy_joules_accelerator")),
                MathContext.DECIMAL64)).isCloseTo(estPrefillShare, within(new BigDecimal("0.000001")));
        assertThat(dec(m1.get("energy_joules_low"))).isLessThanOrEqualTo(dec(m1.get("energy_joules")));
        assertThat(dec(m1.get("energy_joules_high"))).isGreaterThanOrEqualTo(dec(m1.get("energy_joules")));
        BigDecimal kwh = dec(m1.get("energy_joules")).divide(new BigDecimal("3600000"), MathContext.DECIMAL64);
        assertThat(dec(m1.get("co2e_grams_location")))
                .isCloseTo(kwh.multiply(dec(m1.get("gco2e_per_kwh"))), within(new BigDecimal("0.000001")));
        assertThat(m1.get("co2e_grams_market")).isNotNull();
        assertThat(versions("r3")).as("r3 runs into a window not attributed yet").hasSize(1);
        assertThat(versions("elsewhere")).hasSize(1);

        // idempotent: a second run attributes nothing twice
        run();
        assertThat(api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node).body().path("items").size())
                .isEqualTo(1);
        assertThat(versions("r1")).hasSize(2);
        assertThat(jdbc.sql("select count(*) from measured_attributions a join measurement_windows w"
                + " on w.id = a.window_id where w.tenant_id = ?").param(tenant.id()).query(Long.class).single())
                .isEqualTo(3L);

        // the next window's samples arrive: GPU 0 100 W, GPU 1 50 W; r3 alone in flight 07:05–07:06
        samples(List.of(sample(0, "600", "130000"), sample(1, "600", "35000")));
        var third = run();
        assertThat(third.body().path("recordsRestated").asInt()).isGreaterThanOrEqualTo(1);
        var page = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node + "&limit=1");
        assertThat(page.body().path("items").size()).isEqualTo(1);
        var next = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node + "&limit=1&cursor="
                + page.body().path("nextCursor").asString());
        var second = next.body().path("items").get(0);
        assertThat(second.path("windowStart").asString()).isEqualTo("2026-10-01T07:05:00Z");
        assertThat(second.path("energyJoulesMeasured").decimalValue()).isEqualByComparingTo("45000");
        // r3 in flight for 60 of 300 s: idle 240 s × 150 W
        assertThat(second.path("energyJoulesIdle").decimalValue()).isEqualByComparingTo("36000");
        assertThat(second.path("energyJoulesAttributed").decimalValue()).isEqualByComparingTo("45000");
        var r3 = versions("r3");
        assertThat(r3).hasSize(2);
        BigDecimal expected3 = new BigDecimal("140000").multiply(w3).divide(total, MathContext.DECIMAL64)
                .add(new BigDecimal("45000"));
        assertThat(dec(r3.get(1).get("energy_joules_accelerator"))).isCloseTo(expected3,
                within(new BigDecimal("0.00001")));
        // one measured version per request, however often the run repeats
        run();
        assertThat(versions("r1")).hasSize(2);
        assertThat(versions("r3")).hasSize(2);
    }

    @Test
    void windowsAreTheTenantsOwnAndTheRunIsForOperators() {
        samples(List.of(sample(0, "0", "0"), sample(0, "300", "3000")));
        run();
        var other = newTenant(unique("other"), 100);
        assertThat(api.get(other.key(), "/v1/measurements/windows?nodeId=" + node).body().path("items").size())
                .isZero();
        var window = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node).body().path("items").get(0);
        // no request on the node: the whole window is idle and stays in the residual, never dropped
        assertThat(window.path("energyJoulesMeasured").decimalValue()).isEqualByComparingTo("3000");
        assertThat(window.path("energyJoulesIdle").decimalValue()).isEqualByComparingTo("3000");
        assertThat(window.path("energyJoulesResidual").decimalValue()).isEqualByComparingTo("3000");
        var forbidden = api.post(tenant.key(), "/v1/measurements/attribution-runs", Map.of());
        assertThat(forbidden.status()).isEqualTo(403);
        var badNode = api.get(tenant.key(), "/v1/measurements/windows?nodeId=%20");
        assertThat(badNode.status()).isEqualTo(400);
        assertThat(badNode.text("field")).isEqualTo("nodeId");
    }

    @Test
    void samplesArrivingAfterTheirWindowWasAttributedAreCountedOnTheWindowNotDropped() {
        samples(List.of(sample(0, "0", "0"), sample(0, "300", "3000"), sample(0, "600", "6000")));
        run();
        var before = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node).body().path("items");
        assertThat(before.size()).isEqualTo(2);
        assertThat(before.get(0).path("lateSamples").asInt()).isZero();
        assertThat(before.get(1).path("lateSamples").asInt()).isZero();

        // a minute later a sample of 07:02:30 arrives (a second GPU's, and one of GPU 0 in between): the first
        // window was attributed without them
        clock.set(clock.instant().plusSeconds(60));
        samples(List.of(sample(0, "150", "1500"), sample(1, "120", "700")));
        run();
        var after = api.get(tenant.key(), "/v1/measurements/windows?nodeId=" + node).body().path("items");
        assertThat(after.size()).as("attributed once: not attributed again").isEqualTo(2);
        assertThat(after.get(0).path("lateSamples").asInt()).isEqualTo(2);
        assertThat(after.get(0).path("energyJoulesMeasured").decimalValue()).isEqualByComparingTo("3000");
        assertThat(after.get(0).path("processedAt").asString())
                .isEqualTo(before.get(0).path("processedAt").asString());
        assertThat(after.get(1).path("lateSamples").asInt()).as("07:05–07:10 has no late sample").isZero();
    }
}
