package org.carbonledger.telemetry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestIngestIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(3600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("ingest"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private long count(String table) {
        return jdbc.sql("select count(*) from " + table + " where tenant_id = ?").param(tenant.id())
                .query(Long.class).single();
    }

    @Test
    void storesEachRequestOnceWithItsEmissionRecord() {
        var response = ingest(tenant.key(), List.of(request("r-1", workload, 500, 300, at),
                request("r-2", workload, 10, 20, at)));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(count("inference_requests")).isEqualTo(2);
        assertThat(count("emission_records")).isEqualTo(2);
        var record = jdbc.sql("""
                select e.co2e_grams_location, e.co2e_grams_market, e.batch_occupancy, e.estimator_flags,
                       e.methodology_version, e.factor_dataset_version, e.factor_status, e.energy_basis
                  from emission_records e join inference_requests r
                  on r.id = e.inference_request_id where r.request_id = 'r-1' and r.tenant_id = ?""")
                .param(tenant.id()).query().singleRow();
        // both requests in flight for the same 3 s: observed occupancy 2 (below the calibrated 15.9: flagged).
        // estimator-v1, 70 B on 4 × H100, B = 2, 500 in / 300 out: decode 13,306.663845 J + prefill 99.089990 J
        // = 13,405.753835 J; × (1 + 25/58) × (1 + 10/83) × PUE 1.135 = 24,397.316311 J;
        // × 379.069 g/kWh (us-east-1) / 3.6e6 J/kWh = 2.568963 g (docs/domain/formulas.md)
        assertThat((java.math.BigDecimal) record.get("co2e_grams_location")).isEqualByComparingTo("2.568963");
        assertThat((java.math.BigDecimal) record.get("co2e_grams_market")).isEqualByComparingTo("2.568963");
        assertThat((java.math.BigDecimal) record.get("batch_occupancy")).isEqualByComparingTo("2");
        assertThat(record.get("estimator_flags")).isEqualTo("batch-below-calibration");
        assertThat(record.get("methodology_version")).isEqualTo("estimator-v1");
        assertThat(record.get("factor_dataset_version")).isEqualTo("ccf-2024-03-25");
        assertThat(record.get("factor_status")).isEqualTo("FINAL");
        assertThat(record.get("energy_basis")).isEqualTo("ESTIMATED");
    }

    @Test
    void aLoneRequestTakesTheDefaultOccupancy() {
        assertThat(ingest(tenant.key(), List.of(request("alone", workload, 500, 300, at))).status()).isEqualTo(200);
        var record = jdbc.sql("""
                select e.co2e_grams_location, e.energy_joules, e.energy_joules_accelerator, e.batch_occupancy,
                       e.estimator_flags from emission_records e join inference_requests r
                  on r.id = e.inference_request_id where r.request_id = 'alone' and r.tenant_id = ?""")
                .param(tenant.id()).query().singleRow();
        // B = 64 (default): decode 541.568709 J + prefill 99.089990 J = 640.658699 J accelerator;
        // host 276.145991 + idle 110.458396 + PUE overhead 138.680517 (each rounded to 1 µJ, total = their sum)
        // = 1,165.943603 J → 0.122770 g
        assertThat((java.math.BigDecimal) record.get("energy_joules_accelerator")).isEqualByComparingTo("640.658699");
        assertThat((java.math.BigDecimal) record.get("energy_joules")).isEqualByComparingTo("1165.943603");
        assertThat((java.math.BigDecimal) record.get("co2e_grams_location")).isEqualByComparingTo("0.122770");
        assertThat((java.math.BigDecimal) record.get("batch_occupancy")).isEqualByComparingTo("64");
        assertThat(record.get("estimator_flags")).isEqualTo("batch-default");
    }

    @Test
    void replayAndDuplicatesInOneBatchCountOnce() {
        var first = ingest(tenant.key(), List.of(request("dup", workload, 1, 1, at), request("dup", workload, 1, 1, at)));
        assertThat(first.body().path("accepted").asInt()).isEqualTo(1);
        assertThat(first.body().path("duplicates").asInt()).isEqualTo(1);
        assertThat(first.body().path("items").get(1).path("status").asString()).isEqualTo("DUPLICATE");
        var replay = ingest(tenant.key(), List.of(request("dup", workload, 1, 1, at)));
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.body().path("duplicates").asInt()).isEqualTo(1);
        assertThat(count("inference_requests")).isEqualTo(1);
        assertThat(count("emission_records")).isEqualTo(1);
    }

    @Test
    void concurrentDuplicatesCountOnce() throws Exception {
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(request("c-" + i, workload, 100, 100, at));
        }
        var pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Api.Response>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(() -> ingest(tenant.key(), batch));
            }
            int accepted = 0;
            for (var f : pool.invokeAll(calls)) {
                assertThat(f.get().status()).isEqualTo(200);
                accepted += f.get().body().path("accepted").asInt();
            }
            assertThat(accepted).isEqualTo(50);
        } finally {
            pool.shutdown();
        }
        assertThat(count("inference_requests")).isEqualTo(50);
        assertThat(count("emission_records")).isEqualTo(50);
    }

    @Test
    void oneInvalidRecordRejectsTheBatchNamingItsFieldAndStoresNothing() {
        var bad = new java.util.LinkedHashMap<>(request("b-2", workload, 1, 1, at));
        bad.put("outputTokens", -5);
        var response = ingest(tenant.key(), List.of(request("b-1", workload, 1, 1, at), bad));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("requests[1].outputTokens");
        assertThat(count("inference_requests")).isZero();
    }

    @Test
    void eachMissingOrWrongFieldIsNamed() {
        Map<String, Object> missingId = new java.util.LinkedHashMap<>(request("x", workload, 1, 1, at));
        missingId.remove("requestId");
        assertThat(ingest(tenant.key(), List.of(missingId)).text("field")).isEqualTo("requests[0].requestId");
        Map<String, Object> endsBefore = new java.util.LinkedHashMap<>(request("x", workload, 1, 1, at));
        endsBefore.put("startedAt", at.plusSeconds(10).toString());
        assertThat(ingest(tenant.key(), List.of(endsBefore)).text("field")).isEqualTo("requests[0].endedAt");
        Map<String, Object> badTime = new java.util.LinkedHashMap<>(request("x", workload, 1, 1, at));
        badTime.put("endedAt", "yesterday");
        var badTimeResponse = ingest(tenant.key(), List.of(badTime));
        assertThat(badTimeResponse.status()).isEqualTo(400);
        assertThat(badTimeResponse.text("field")).isEqualTo("requests[0].endedAt");
        assertThat(ingest(tenant.key(), List.of()).text("field")).isEqualTo("requests");
        var beforeFactors = ingest(tenant.key(), List.of(request("x", workload, 1, 1,
                Instant.parse("2019-06-01T00:00:00Z"))));
        assertThat(beforeFactors.status()).isEqualTo(400);
        assertThat(beforeFactors.text("detail")).contains("no grid emission factor");
        assertThat(ingest(tenant.key(), List.of(request("x", UUID.randomUUID(), 1, 1, at))).text("field"))
                .isEqualTo("requests[0].workloadId");
        assertThat(count("inference_requests")).isZero();
    }

    @Test
    void anotherTenantsWorkloadCannotBeMeteredAgainst() {
        Tenant other = newTenant(unique("other"), 100);
        var response = ingest(other.key(), List.of(request("steal", workload, 1, 1, at)));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("detail")).contains("does not exist");
    }

    @Test
    void sameRequestIdInTwoTenantsIsTwoRequests() {
        Tenant other = newTenant(unique("other"), 100);
        UUID otherWorkload = newWorkload(other.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        assertThat(ingest(tenant.key(), List.of(request("same", workload, 1, 1, at))).body().path("accepted")
                .asInt()).isEqualTo(1);
        assertThat(ingest(other.key(), List.of(request("same", otherWorkload, 1, 1, at))).body().path("accepted")
                .asInt()).isEqualTo(1);
    }
}
