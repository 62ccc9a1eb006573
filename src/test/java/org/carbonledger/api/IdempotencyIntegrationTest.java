package org.carbonledger.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code Idempotency-Key} on creating POSTs: replay, reuse with another body, in flight, concurrent retries. */
class IdempotencyIntegrationTest extends IntegrationTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String key, String path, String idempotencyKey, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String workload(String name) {
        return "{\"name\":\"" + name + "\",\"model\":\"meta-llama/Meta-Llama-3.1-70B-Instruct\",\"gpuModel\":\"H100\","
                + "\"gpuCount\":2,\"region\":\"us-east-1\"}";
    }

    @Test
    void aReplayReturnsTheFirstResponseAndCreatesNothingMore() throws Exception {
        Tenant tenant = newTenant(unique("idem"), 100);
        var first = post(tenant.key(), "/v1/workloads", "create-chat", workload("chat"));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        var replay = post(tenant.key(), "/v1/workloads", "create-chat", workload("chat"));
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(replay.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(jdbc.sql("select count(*) from workloads where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void anErrorAnswerIsReplayedToo() throws Exception {
        Tenant tenant = newTenant(unique("idem-error"), 100);
        var first = post(tenant.key(), "/v1/workloads", "bad", "{\"name\":\"x\"}");
        assertThat(first.statusCode()).isEqualTo(400);
        var replay = post(tenant.key(), "/v1/workloads", "bad", "{\"name\":\"x\"}");
        assertThat(replay.statusCode()).isEqualTo(400);
        assertThat(replay.body()).isEqualTo(first.body());
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() throws Exception {
        Tenant tenant = newTenant(unique("idem-422"), 100);
        assertThat(post(tenant.key(), "/v1/workloads", "k1", workload("a")).statusCode()).isEqualTo(201);
        var reused = post(tenant.key(), "/v1/workloads", "k1", workload("b"));
        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(reused.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(Api.JSON.readTree(reused.body()).path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(post(tenant.key(), "/v1/api-keys", "k1", workload("a")).statusCode())
                .as("another path is another request").isEqualTo(422);
    }

    @Test
    void keysBelongToTheirTenant() throws Exception {
        Tenant a = newTenant(unique("idem-a"), 100);
        Tenant b = newTenant(unique("idem-b"), 100);
        assertThat(post(a.key(), "/v1/workloads", "same", workload("w")).statusCode()).isEqualTo(201);
        var other = post(b.key(), "/v1/workloads", "same", workload("w"));
        assertThat(other.statusCode()).isEqualTo(201);
        assertThat(other.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(Api.JSON.readTree(other.body()).path("tenantId").asString()).isEqualTo(b.id().toString());
    }

    @Test
    void aRequestStillInFlightIs409() throws Exception {
        Tenant tenant = newTenant(unique("idem-409"), 100);
        // the first request with this key has started and not finished (its row has no response yet)
        jdbc.sql("insert into idempotency_records (owner, idempotency_key, request_sha256, created_at) "
                        + "values (?, 'running', '\\x00'::bytea, ?)")
                .params("tenant:" + tenant.id(), Timestamp.from(clock.instant())).update();
        var second = post(tenant.key(), "/v1/workloads", "running", workload("w"));
        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(Api.JSON.readTree(second.body()).path("title").asString()).isEqualTo("Request in progress");
    }

    @Test
    void concurrentRetriesCreateOnceAndAnswerTheSameOrConflict() throws Exception {
        Tenant tenant = newTenant(unique("idem-race"), 100);
        int n = 8;
        var start = new CountDownLatch(1);
        var pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<HttpResponse<String>> call = () -> {
                    start.await();
                    return post(tenant.key(), "/v1/workloads", "race", workload("raced"));
                };
                futures.add(pool.submit(call));
            }
            start.countDown();
            String created = null;
            int conflicts = 0;
            for (var future : futures) {
                var response = future.get();
                if (response.statusCode() == 409) {
                    conflicts++;
                    assertThat(Api.JSON.readTree(response.body()).path("title").asString())
                            .isEqualTo("Request in progress");
                } else {
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
                    assertThat(created == null || created.equals(response.body())).as(response.body()).isTrue();
                    created = response.body();
                }
            }
            assertThat(created).isNotNull();
            assertThat(conflicts).isLessThan(n);
        } finally {
            pool.shutdownNow();
        }
        assertThat(jdbc.sql("select count(*) from workloads where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(1);
    }
}
