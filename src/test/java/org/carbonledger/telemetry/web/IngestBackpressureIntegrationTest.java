package org.carbonledger.telemetry.web;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

class IngestBackpressureIntegrationTest extends IntegrationTest {

    @Autowired
    IngestAdmission admission;

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(3600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("pressure"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    @Test
    void whenEverySlotIsTakenIngestAnswers429WithRetryAfterAndNothingIsStored() throws Exception {
        int slots = admission.maxConcurrent();
        admission.slots().acquire(slots);
        Api.Response refused;
        try {
            refused = ingest(tenant.key(), List.of(request("busy-1", workload, 1, 1, at)));
        } finally {
            admission.slots().release(slots);
        }
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(refused.text("title")).isEqualTo("Too many requests");
        assertThat(jdbc.sql("select count(*) from inference_requests where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isZero();
        var retried = ingest(tenant.key(), List.of(request("busy-1", workload, 1, 1, at)));
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.body().path("accepted").asInt()).isEqualTo(1);
    }

    @Test
    void aBodyOverTheLimitIs413WithOrWithoutContentLength() {
        byte[] big = new byte[admission.maxBodyBytes() + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        var declared = api.postBytes(tenant.key(), "/v1/telemetry/requests", big, "application/json");
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.text("title")).isEqualTo("Content too large");
        assertThat(declared.text("field")).isEqualTo("body");
        var chunked = api.send(tenant.key(), "POST", "/v1/telemetry/requests",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)), "application/json");
        assertThat(chunked.status()).isEqualTo(413);
    }

    @Test
    void underConcurrentLoadEveryCallIsAnsweredAndEveryAcceptedRequestIsStoredExactlyOnce() throws Exception {
        int calls = 16;
        List<Callable<Api.Response>> tasks = new ArrayList<>();
        for (int c = 0; c < calls; c++) {
            List<Map<String, Object>> batch = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                // neighbouring calls overlap by half: concurrent duplicates
                batch.add(request("load-" + (c * 100 + i), workload, 10, 10, at));
            }
            tasks.add(() -> ingest(tenant.key(), batch));
        }
        var pool = Executors.newFixedThreadPool(calls);
        Set<String> accepted = new HashSet<>();
        int tooMany = 0;
        try {
            for (var f : pool.invokeAll(tasks)) {
                Api.Response r = f.get();
                assertThat(r.status()).as(r.toString()).isIn(200, 429);
                if (r.status() == 429) {
                    tooMany++;
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    continue;
                }
                for (var item : r.body().path("items")) {
                    if (item.path("status").asString().equals("ACCEPTED")) {
                        assertThat(accepted.add(item.path("requestId").asString()))
                                .as("accepted twice: %s", item).isTrue();
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
        List<String> stored = jdbc.sql("select request_id from inference_requests where tenant_id = ?")
                .param(tenant.id()).query(String.class).list();
        assertThat(new HashSet<>(stored)).isEqualTo(accepted);
        assertThat(stored).hasSameSizeAs(accepted);
        assertThat(jdbc.sql("select count(*) from emission_records where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(accepted.size());
        assertThat(tooMany).isLessThan(calls);
    }
}
