package org.carbonledger.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client against a real HTTP server that speaks the ingest API's shapes: {@code POST /v1/telemetry/requests}
 * with a bearer key, a {@code requests} batch, per-item outcomes, identity by {@code requestId} (a record seen
 * before is {@code DUPLICATE}), problem details on errors.
 */
class CarbonLedgerClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "clk_test_secret";
    private static final UUID WORKLOAD = UUID.randomUUID();

    private HttpServer server;
    /** What the stub answers next, before it behaves as the ingest API: statuses to fail with. */
    private final ConcurrentLinkedQueue<Integer> failures = new ConcurrentLinkedQueue<>();
    private final List<JsonNode> batches = Collections.synchronizedList(new ArrayList<>());
    private final java.util.Set<String> stored = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicInteger calls = new AtomicInteger();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/telemetry/requests", this::ingest);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void ingest(HttpExchange ex) throws IOException {
        calls.incrementAndGet();
        try {
            gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] body = ex.getRequestBody().readAllBytes();
        if (!("Bearer " + KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            answer(ex, 401, "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"missing or unknown API key\"}");
            return;
        }
        Integer failure = failures.poll();
        if (failure != null) {
            if (failure == 429) {
                ex.getResponseHeaders().set("Retry-After", "0");
            }
            answer(ex, failure, "{\"title\":\"Failure\",\"status\":" + failure + ",\"detail\":\"the batch "
                    + "holds no request records\",\"field\":\"requests\"}");
            return;
        }
        JsonNode batch = JSON.readTree(body);
        batches.add(batch);
        StringBuilder items = new StringBuilder();
        int accepted = 0;
        int duplicates = 0;
        int rejected = 0;
        for (int i = 0; i < batch.get("requests").size(); i++) {
            JsonNode r = batch.get("requests").get(i);
            String id = r.get("requestId").asText();
            String item;
            if (r.get("outputTokens").asLong() > 100_000_000) {
                rejected++;
                item = "{\"index\":" + i + ",\"requestId\":\"" + id + "\",\"status\":\"REJECTED\",\"field\":"
                        + "\"requests[" + i + "].outputTokens\",\"reason\":\"token count must be between 0 and "
                        + "100000000, got " + r.get("outputTokens").asLong() + "\"}";
            } else if (stored.add(id)) {
                accepted++;
                item = "{\"index\":" + i + ",\"requestId\":\"" + id + "\",\"status\":\"ACCEPTED\"}";
            } else {
                duplicates++;
                item = "{\"index\":" + i + ",\"requestId\":\"" + id + "\",\"status\":\"DUPLICATE\"}";
            }
            items.append(items.length() == 0 ? "" : ",").append(item);
        }
        answer(ex, 200, "{\"accepted\":" + accepted + ",\"duplicates\":" + duplicates + ",\"rejected\":" + rejected
                + ",\"items\":[" + items + "]}");
    }

    private static void answer(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", status == 200 ? "application/json" : "application/problem+json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private CarbonLedgerClient.Builder client() {
        return CarbonLedgerClient.builder("http://127.0.0.1:" + server.getAddress().getPort() + "/", KEY)
                .flushInterval(Duration.ofMillis(50)).backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .listener(outcomes::add);
    }

    private static RequestRecord record(String id, long outputTokens) {
        Instant end = Instant.parse("2026-10-01T08:00:00Z");
        return new RequestRecord(id, WORKLOAD, 120, outputTokens, end.minusSeconds(2), end);
    }

    private long count(Outcome.Status status) {
        return outcomes.stream().filter(o -> o.status() == status).count();
    }

    @Test
    void recordsAreSentInBatchesOfTheIngestShapeAndEachGetsItsOutcome() throws Exception {
        try (CarbonLedgerClient c = client().batchSize(100).build()) {
            for (int i = 0; i < 250; i++) {
                assertThat(c.submit(record("r-" + i, 40))).isTrue();
            }
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(count(Outcome.Status.ACCEPTED)).isEqualTo(250);
        assertThat(batches).allSatisfy(b -> assertThat(b.get("requests").size()).isLessThanOrEqualTo(100));
        JsonNode first = batches.get(0).get("requests").get(0);
        assertThat(first.get("requestId").asText()).isEqualTo("r-0");
        assertThat(first.get("workloadId").asText()).isEqualTo(WORKLOAD.toString());
        assertThat(first.get("inputTokens").asLong()).isEqualTo(120);
        assertThat(first.get("outputTokens").asLong()).isEqualTo(40);
        assertThat(first.get("startedAt").asText()).isEqualTo("2026-10-01T07:59:58Z");
        assertThat(first.get("endedAt").asText()).isEqualTo("2026-10-01T08:00:00Z");
    }

    @Test
    void serverErrorsAndTooManyRequestsAreRetriedAndTheBatchCountsOnce() throws Exception {
        failures.add(503);
        failures.add(429);
        try (CarbonLedgerClient c = client().build()) {
            c.submit(record("retry-1", 10));
            c.submit(record("retry-2", 10));
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(calls.get()).isEqualTo(3);
        assertThat(count(Outcome.Status.ACCEPTED)).isEqualTo(2);
        assertThat(outcomes).hasSize(2);
    }

    @Test
    void aRecordSentAgainIsReportedAsADuplicate() throws Exception {
        try (CarbonLedgerClient c = client().build()) {
            c.submit(record("same", 10));
            c.flush().get(10, TimeUnit.SECONDS);
            c.submit(record("same", 10));
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(outcomes).extracting(Outcome::status)
                .containsExactly(Outcome.Status.ACCEPTED, Outcome.Status.DUPLICATE);
    }

    @Test
    void aRejectedRecordIsReportedWithTheFieldAndReason() throws Exception {
        try (CarbonLedgerClient c = client().build()) {
            c.submit(record("fine", 10));
            c.submit(record("huge", 200_000_000));
            c.flush().get(10, TimeUnit.SECONDS);
        }
        Outcome huge = outcomes.stream().filter(o -> o.record().requestId().equals("huge")).findFirst().orElseThrow();
        assertThat(huge.status()).isEqualTo(Outcome.Status.REJECTED);
        assertThat(huge.field()).isEqualTo("requests[1].outputTokens");
        assertThat(huge.reason()).isEqualTo("token count must be between 0 and 100000000, got 200000000");
    }

    @Test
    void aClientErrorIsNotRetriedAndFailsTheBatchWithTheProblemDetail() throws Exception {
        failures.add(400);
        try (CarbonLedgerClient c = client().build()) {
            c.submit(record("bad", 10));
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(calls.get()).isEqualTo(1);
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.status()).isEqualTo(Outcome.Status.FAILED);
            assertThat(o.reason()).isEqualTo("HTTP 400: the batch holds no request records");
        });
    }

    @Test
    void whenAttemptsAreUsedUpTheRecordsAreReportedFailed() throws Exception {
        for (int i = 0; i < 3; i++) {
            failures.add(503);
        }
        try (CarbonLedgerClient c = client().maxAttempts(3).build()) {
            c.submit(record("down", 10));
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(calls.get()).isEqualTo(3);
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.status()).isEqualTo(Outcome.Status.FAILED);
            assertThat(o.reason()).isEqualTo("HTTP 503: the batch holds no request records");
        });
    }

    @Test
    void aFullBufferRefusesNewRecordsUnderTheRejectPolicy() throws Exception {
        gate = new CountDownLatch(1); // the server holds the first batch: the buffer fills up
        try (CarbonLedgerClient c = client().batchSize(1).bufferCapacity(3).build()) {
            c.submit(record("in-flight", 10));
            awaitCalls(1);
            assertThat(c.submit(record("b1", 10))).isTrue();
            assertThat(c.submit(record("b2", 10))).isTrue();
            assertThat(c.submit(record("b3", 10))).isTrue();
            assertThat(c.submit(record("refused", 10))).isFalse();
            gate.countDown();
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(stored).containsExactlyInAnyOrder("in-flight", "b1", "b2", "b3");
    }

    @Test
    void aFullBufferDropsTheOldestRecordUnderTheDropOldestPolicyAndSaysSo() throws Exception {
        gate = new CountDownLatch(1);
        try (CarbonLedgerClient c = client().batchSize(1).bufferCapacity(2).overflow(OverflowPolicy.DROP_OLDEST)
                .build()) {
            c.submit(record("in-flight", 10));
            awaitCalls(1);
            c.submit(record("old", 10));
            c.submit(record("mid", 10));
            assertThat(c.submit(record("new", 10))).isTrue();
            gate.countDown();
            c.flush().get(10, TimeUnit.SECONDS);
        }
        assertThat(stored).containsExactlyInAnyOrder("in-flight", "mid", "new");
        assertThat(outcomes).filteredOn(o -> o.status() == Outcome.Status.DROPPED).singleElement()
                .satisfies(o -> assertThat(o.record().requestId()).isEqualTo("old"));
    }

    @Test
    void closingSendsWhatIsBuffered() {
        CarbonLedgerClient c = client().flushInterval(Duration.ofSeconds(30)).build();
        c.submit(record("last-1", 10));
        c.submit(record("last-2", 10));
        c.close(Duration.ofSeconds(10));
        assertThat(stored).containsExactlyInAnyOrder("last-1", "last-2");
        assertThat(c.submit(record("after-close", 10))).isFalse();
    }

    private void awaitCalls(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (calls.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(calls.get()).isGreaterThanOrEqualTo(n);
    }
}
