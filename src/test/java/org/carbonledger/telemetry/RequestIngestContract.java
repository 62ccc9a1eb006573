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

/**
 * The ingest semantics every transport must keep: run by {@link RequestIngestIntegrationTest} on the embedded
 * transport and by {@link KafkaRequestIngestIntegrationTest} on Kafka. Assertions on what is stored follow
 * {@link #awaitStored()}: a no-op in the embedded transport, where the answer follows the commit; in Kafka mode
 * the wait until the consumers have stored everything acknowledged.
 */
abstract class RequestIngestContract extends IntegrationTest {

    /** Returns when every acknowledged request is stored. */
    protected abstract void awaitStored();

    /**
     * Whether concurrent calls carrying the same new requestId are answered {@code ACCEPTED} once (the embedded
     * transport's unique insert decides before answering) or possibly more than once (Kafka: each call is
     * acknowledged when the broker holds it; the consumer stores one).
     */
    protected abstract boolean inFlightDuplicatesAnsweredOnce();

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(3600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("ingest"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private long count(String table) {
        awaitStored();
        return jdbc.sql("select count(*) from " + table + " where tenant_id = ?").param(tenant.id())
                .query(Long.class).single();
    }

    /**
     * Each request keeps the instant its own call was accepted, also when the Kafka consumer stores several calls'
     * batches in one statement (the late-data policy reads it).
     */
    @Test
    void eachRequestKeepsTheInstantItsCallWasAccepted() {
        assertThat(ingest(tenant.key(), List.of(request("r-early", workload, 1, 1, at))).status()).isEqualTo(200);
        clock.set(START.plusSeconds(3600));
        assertThat(ingest(tenant.key(), List.of(request("r-late", workload, 1, 1, at))).status()).isEqualTo(200);
        awaitStored();
        assertThat(jdbc.sql("""
                select request_id || ' ' || to_char(received_at at time zone 'UTC', 'HH24:MI') from inference_requests
                 where tenant_id = ? order by request_id""").param(tenant.id()).query(String.class).list())
                .containsExactly("r-early " + hhmm(START), "r-late " + hhmm(START.plusSeconds(3600)));
    }

    private static String hhmm(Instant instant) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC)
                .format(instant);
    }

    @Test
    void theNodeThatServedARequestIsKept() {
        Map<String, Object> traced = new java.util.LinkedHashMap<>(request("r-node", workload, 5, 6, at));
        traced.put("nodeId", "dgx-12");
        var response = ingest(tenant.key(), List.of(traced));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(1);
        awaitStored();
        assertThat(jdbc.sql("""
                select node_id from inference_requests
                 where tenant_id = ? and request_id = 'r-node'""").param(tenant.id()).query(String.class).single())
                .isEqualTo("dgx-12");
    }

    @Test
    void storesEachRequestOnceWithItsEmissionRecord() {
        var response = ingest(tenant.key(), List.of(request("r-1", workload, 500, 300, at),
                request("r-2", workload, 10, 20, at)));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(count("inference_requests")).isEqualTo(2);
        assertThat(count("emission_records")).isEqualTo(2);
        awaitStored();
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
        awaitStored();
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
        awaitStored();
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
            if (inFlightDuplicatesAnsweredOnce()) {
                assertThat(accepted).isEqualTo(50);
            } else {
                assertThat(accepted).isBetween(50, 200);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(count("inference_requests")).isEqualTo(50);
        assertThat(count("emission_records")).isEqualTo(50);
    }

    @Test
    void validRecordsAreKeptAndEachInvalidOneIsReportedWithIndexFieldAndReason() {
        var bad = new java.util.LinkedHashMap<>(request("b-2", workload, 1, 1, at));
        bad.put("outputTokens", -5);
        var response = ingest(tenant.key(), List.of(request("b-1", workload, 1, 1, at), bad,
                request("b-3", workload, 2, 2, at)));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(response.body().path("rejected").asInt()).isEqualTo(1);
        assertThat(response.body().path("duplicates").asInt()).isZero();
        var item = response.body().path("items").get(1);
        assertThat(item.path("index").asInt()).isEqualTo(1);
        assertThat(item.path("requestId").asString()).isEqualTo("b-2");
        assertThat(item.path("status").asString()).isEqualTo("REJECTED");
        assertThat(item.path("field").asString()).isEqualTo("requests[1].outputTokens");
        assertThat(item.path("reason").asString()).isEqualTo("token count must be between 0 and 100000000, got -5");
        assertThat(response.body().path("items").get(0).path("status").asString()).isEqualTo("ACCEPTED");
        assertThat(response.body().path("items").get(0).path("field").isNull()).isTrue();
        assertThat(response.body().path("items").get(2).path("status").asString()).isEqualTo("ACCEPTED");
        assertThat(count("inference_requests")).isEqualTo(2);
        assertThat(count("emission_records")).isEqualTo(2);
    }

    @Test
    void aRejectedRecordDoesNotClaimItsRequestIdSoItsCorrectionIsAccepted() {
        var bad = new java.util.LinkedHashMap<>(request("fix-me", workload, 1, 1, at));
        bad.put("inputTokens", 100_000_001L);
        assertThat(rejected(List.of(bad), 0)).isEqualTo("requests[0].inputTokens");
        var fixed = ingest(tenant.key(), List.of(request("fix-me", workload, 1, 1, at)));
        assertThat(fixed.body().path("accepted").asInt()).isEqualTo(1);
    }

    private String rejected(List<?> batch, int index) {
        var response = ingest(tenant.key(), batch);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var item = response.body().path("items").get(index);
        assertThat(item.path("status").asString()).as(response.toString()).isEqualTo("REJECTED");
        return item.path("field").asString();
    }

    private Map<String, Object> with(String field, Object value) {
        Map<String, Object> item = new java.util.LinkedHashMap<>(request("x-" + field, workload, 1, 1, at));
        if (value == null) {
            item.remove(field);
        } else {
            item.put(field, value);
        }
        return item;
    }

    @Test
    void eachMissingOrWrongFieldIsNamed() {
        assertThat(rejected(List.of(with("requestId", null)), 0)).isEqualTo("requests[0].requestId");
        assertThat(rejected(List.of(with("requestId", 42)), 0)).isEqualTo("requests[0].requestId");
        assertThat(rejected(List.of(with("requestId", "r".repeat(201))), 0)).isEqualTo("requests[0].requestId");
        assertThat(rejected(List.of(with("startedAt", at.plusSeconds(10).toString())), 0))
                .isEqualTo("requests[0].endedAt");
        assertThat(rejected(List.of(with("endedAt", "yesterday")), 0)).isEqualTo("requests[0].endedAt");
        assertThat(rejected(List.of(with("endedAt", START.plusSeconds(600).toString())), 0))
                .isEqualTo("requests[0].endedAt");
        assertThat(rejected(List.of(with("inputTokens", "12")), 0)).isEqualTo("requests[0].inputTokens");
        assertThat(rejected(List.of(with("inputTokens", 1.5)), 0)).isEqualTo("requests[0].inputTokens");
        assertThat(rejected(List.of(with("workloadId", "not-a-uuid")), 0)).isEqualTo("requests[0].workloadId");
        assertThat(rejected(List.of(with("workloadId", UUID.randomUUID().toString())), 0))
                .isEqualTo("requests[0].workloadId");
        var beforeFactors = ingest(tenant.key(), List.of(request("x", workload, 1, 1,
                Instant.parse("2019-06-01T00:00:00Z"))));
        assertThat(beforeFactors.body().path("items").get(0).path("reason").asString())
                .isEqualTo("no grid emission factor for region us-east-1 is valid at 2019-06-01T00:00:00Z");
        var laterCopy = ingest(tenant.key(), List.of(request("y", workload, 1, 1,
                Instant.parse("2019-06-01T00:00:00Z")), request("y", workload, 1, 1, at)));
        assertThat(laterCopy.body().path("items").get(0).path("field").asString()).isEqualTo("requests[0].endedAt");
        assertThat(laterCopy.body().path("items").get(1).path("status").asString())
                .as("not a duplicate of a rejected record").isEqualTo("ACCEPTED");
        awaitStored();
        jdbc.sql("delete from emission_records where tenant_id = ?").param(tenant.id()).update();
        jdbc.sql("delete from inference_requests where tenant_id = ?").param(tenant.id()).update();
        assertThat(rejected(java.util.Arrays.asList("not an object", null), 1)).isEqualTo("requests[1]");
        assertThat(ingest(tenant.key(), List.of()).text("field")).isEqualTo("requests");
        assertThat(count("inference_requests")).isZero();
    }

    @Test
    void aRequestThatStartedBeforeItsWorkloadWasRegisteredIsRejected() {
        Instant registered = WORKLOADS_REGISTERED;
        var response = ingest(tenant.key(), List.of(request("too-early", workload, 1, 1, registered.plusSeconds(1)),
                request("just-in-time", workload, 1, 1, registered.plusSeconds(3))));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var item = response.body().path("items").get(0);
        assertThat(item.path("status").asString()).isEqualTo("REJECTED");
        assertThat(item.path("field").asString()).isEqualTo("requests[0].startedAt");
        assertThat(item.path("reason").asString()).isEqualTo("startedAt 2018-12-31T23:59:58Z lies before workload "
                + workload + " existed (serving since 2019-01-01T00:00:00Z)");
        assertThat(response.body().path("items").get(1).path("field").asString())
                .as("starting the instant the workload was registered").isNotEqualTo("requests[1].startedAt");
    }

    @Test
    void malformedJsonAsAWholeIsA400() {
        var response = api.postBytes(tenant.key(), "/v1/telemetry/requests",
                "{\"requests\": [".getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("body");
        assertThat(response.text("detail")).startsWith("malformed JSON");
        var notArray = api.post(tenant.key(), "/v1/telemetry/requests", Api.map("requests", "r-1"));
        assertThat(notArray.status()).isEqualTo(400);
        assertThat(notArray.text("field")).isEqualTo("requests");
    }

    @Test
    void ndjsonRecordsAreIngestedLineByLineAndABadLineIsRejectedAlone() {
        String body = Api.JSON.writeValueAsString(request("n-1", workload, 5, 6, at)) + "\n"
                + "{not json\n"
                + Api.JSON.writeValueAsString(request("n-2", workload, 7, 8, at)) + "\r\n"
                + Api.JSON.writeValueAsString(request("n-1", workload, 5, 6, at)) + "\n";
        var response = api.postBytes(tenant.key(), "/v1/telemetry/requests",
                body.getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/x-ndjson");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(response.body().path("rejected").asInt()).isEqualTo(1);
        assertThat(response.body().path("duplicates").asInt()).isEqualTo(1);
        assertThat(response.body().path("items").get(1).path("field").asString()).isEqualTo("requests[1]");
        assertThat(response.body().path("items").get(1).path("reason").asString()).startsWith("malformed JSON");
        assertThat(response.body().path("items").get(3).path("status").asString()).isEqualTo("DUPLICATE");
        awaitStored();
        assertThat(jdbc.sql("select source from inference_requests where tenant_id = ? and request_id = 'n-2'")
                .param(tenant.id()).query(String.class).single()).isEqualTo("ndjson");
        assertThat(count("emission_records")).isEqualTo(2);
    }

    @Test
    void anUnsupportedContentTypeIs415() {
        var response = api.postBytes(tenant.key(), "/v1/telemetry/requests", "x".getBytes(), "text/plain");
        assertThat(response.status()).isEqualTo(415);
    }

    @Test
    void anotherTenantsWorkloadCannotBeMeteredAgainst() {
        Tenant other = newTenant(unique("other"), 100);
        var response = ingest(other.key(), List.of(request("steal", workload, 1, 1, at)));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().path("items").get(0).path("reason").asString()).contains("does not exist");
        assertThat(response.body().path("accepted").asInt()).isZero();
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
