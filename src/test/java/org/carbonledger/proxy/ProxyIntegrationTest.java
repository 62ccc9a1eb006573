package org.carbonledger.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metering proxy against a real local upstream replaying OpenAI-shaped responses: every response reaches the
 * client byte for byte as it does without the proxy, and every metered call lands in the database with its usage,
 * usage source, upstream status and latency.
 */
class ProxyIntegrationTest extends IntegrationTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Autowired
    Proxies proxies;

    @TempDir
    Path dir;

    OpenAiReplay upstream;
    ProxyServer proxy;
    Tenant tenant;
    UUID chat;
    UUID other;
    UUID withExtras;
    final AtomicBoolean storageDown = new AtomicBoolean();

    @BeforeEach
    void start() throws IOException {
        upstream = new OpenAiReplay();
        tenant = newTenant(unique("proxy"), 30);
        chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        other = newWorkload(tenant.key(), "other", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        withExtras = newWorkload(tenant.key(), "extras", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path routes = dir.resolve("routes.yaml");
        Files.writeString(routes, """
                upstreams:
                  replay:
                    url: %s
                  gone:
                    url: http://127.0.0.1:%d
                routes:
                  - name: gone
                    match:
                      header: X-Upstream-Gone
                    upstream: gone
                    workload: %s
                  - name: by-header
                    match:
                      header: {name: X-Team, value: search}
                    upstream: replay
                    workload: %s
                  - name: extras
                    match:
                      pathPrefix: /extras
                    upstream: replay
                    workload: %s
                    extras: [request-id, co2e]
                  - name: default
                    upstream: replay
                    workload: %s
                """.formatted(upstream.url(), closedPort, chat, other, withExtras, chat));
        Proxies.Storage real = proxies.storage();
        proxy = proxies.start(Proxies.Settings.of(ProxyRoutes.load(routes), 0)
                .withSpool(dir.resolve("spool"), Duration.ofMillis(200)), calls -> {
                    if (storageDown.get()) {
                        throw new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection");
                    }
                    real.write(calls);
                });
    }

    @AfterEach
    void stop() {
        proxy.close();
        upstream.close();
    }

    @Test
    void nonStreamingChatIsForwardedByteForByteAndMeteredWithReportedUsage() throws Exception {
        String body = """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""";
        Exchange[] pair = twice("POST", "/v1/chat/completions", body);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];

        assertThat(proxied.status()).isEqualTo(200);
        assertSameForClient(direct, proxied);
        String id = Api_JSON(proxied.body()).get("id").asString();
        Map<String, Object> row = awaitCall(id);
        assertThat(row).containsEntry("outcome", "METERED").containsEntry("usage_source", "REPORTED")
                .containsEntry("input_tokens", 19L).containsEntry("output_tokens", 10L)
                .containsEntry("upstream_status", 200).containsEntry("streamed", false)
                .containsEntry("route", "default").containsEntry("workload_id", chat)
                .containsEntry("model", "gpt-4o-mini").containsEntry("path", "/v1/chat/completions");
        Map<String, Object> request = jdbc.sql("""
                select r.source, r.input_tokens, r.output_tokens, r.workload_id, count(e.id) as records
                  from inference_requests r left join emission_records e on e.inference_request_id = r.id
                 where r.tenant_id = ? and r.request_id = ? group by r.id""")
                .params(tenant.id(), id).query().singleRow();
        assertThat(request).containsEntry("source", "proxy").containsEntry("input_tokens", 19L)
                .containsEntry("output_tokens", 10L).containsEntry("workload_id", chat).containsEntry("records", 1L);
    }

    @Test
    void streamWithAUsageChunkIsPassedThroughAndMeteredWithTheReportedUsage() throws Exception {
        String body = """
                {"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""";
        Exchange[] pair = twice("POST", "/v1/chat/completions", body);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];

        assertSameForClient(direct, proxied);
        assertThat(proxied.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        Map<String, Object> row = awaitCall(streamId(proxied));
        assertThat(row).containsEntry("outcome", "METERED").containsEntry("usage_source", "REPORTED")
                .containsEntry("input_tokens", 17L).containsEntry("output_tokens", 4L)
                .containsEntry("streamed", true);
        assertThat(inferenceRequests(streamId(proxied))).isEqualTo(1);
    }

    @Test
    void streamWithoutUsageIsMeteredWithCountedUsageFlaggedAsCounted() throws Exception {
        String content = "Count the tokens of this prompt please";
        String body = """
                {"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"%s"}]}"""
                .formatted(content);
        Exchange[] pair = twice("POST", "/v1/chat/completions", body);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];

        assertSameForClient(direct, proxied);
        Map<String, Object> row = awaitCall(streamId(proxied));
        // generated text "Hello! How can I help?" is 22 characters: 6 tokens at one per four characters, rounded up
        assertThat(row).containsEntry("outcome", "METERED").containsEntry("usage_source", "COUNTED")
                .containsEntry("input_tokens", (long) (content.length() + 3) / 4).containsEntry("output_tokens", 6L);
        assertThat(inferenceRequests(streamId(proxied))).isEqualTo(1);
    }

    @Test
    void aClientCancellingMidStreamIsRecordedAsCancelledWithTheUsageCountedSoFar() throws Exception {
        String body = """
                {"model":"long","stream":true,"messages":[{"role":"user","content":"Write a lot"}]}""";
        HttpResponse<InputStream> response = HTTP.send(request(proxyUrl(), "POST", "/v1/chat/completions", body,
                Map.of()), HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = response.body();
        byte[] first = in.readNBytes(600);
        in.close();
        String id = Api_JSON(first.length > 0 ? firstEvent(first) : new byte[0]).get("id").asString();

        Map<String, Object> row = awaitCall(id);
        assertThat(row).containsEntry("outcome", "CLIENT_CANCELLED").containsEntry("usage_source", "COUNTED")
                .containsEntry("upstream_status", 200);
        assertThat((Long) row.get("output_tokens")).isLessThan(200L * 5 / 4);
        assertThat(inferenceRequests(id)).isEqualTo(1);
    }

    @Test
    void upstreamClientErrorsPassThroughUnchangedAndAreRecordedAsFailedNotBillable() throws Exception {
        assertFailurePassesThrough("error-400", 400);
    }

    @Test
    void upstreamServerErrorsPassThroughUnchangedAndAreRecordedAsFailedNotBillable() throws Exception {
        assertFailurePassesThrough("error-503", 503);
    }

    private void assertFailurePassesThrough(String model, int status) throws Exception {
        String body = """
                {"model":"%s","messages":[]}""".formatted(model);
        Exchange[] pair = twice("POST", "/v1/chat/completions", body);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];

        assertThat(proxied.status()).isEqualTo(status);
        assertSameForClient(direct, proxied);
        Map<String, Object> row = awaitCallWhere("model = '" + model + "'");
        assertThat(row).containsEntry("outcome", "FAILED").containsEntry("usage_source", "NONE")
                .containsEntry("upstream_status", status).containsEntry("reason", "upstream answered " + status);
        assertThat(row.get("input_tokens")).isNull();
        assertThat(inferenceRequests((String) row.get("request_id"))).isZero();
    }

    @Test
    void aSlowUpstreamIsWaitedForAndItsLatencyKept() throws Exception {
        String body = """
                {"model":"slow","messages":[{"role":"user","content":"Hello"}]}""";
        Exchange[] pair = twice("POST", "/v1/chat/completions", body);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];

        assertSameForClient(direct, proxied);
        Map<String, Object> row = awaitCall(Api_JSON(proxied.body()).get("id").asString());
        // the replay sleeps 300 ms before answering, so the recorded upstream latency cannot be less
        assertThat((Long) row.get("upstream_latency_micros")).isGreaterThanOrEqualTo(300_000L);
        assertThat((Long) row.get("duration_micros")).isGreaterThanOrEqualTo((Long) row.get("upstream_latency_micros"));
    }

    @Test
    void anUpstreamClosingMidStreamCutsTheClientOffAtTheSameByteAndIsRecordedAsAborted() throws Exception {
        String body = """
                {"model":"cut","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";
        String replayId = UUID.randomUUID().toString().replace("-", "");
        Partial direct = callUntilCut(upstream.url(), body, replayId);
        Partial proxied = callUntilCut(proxyUrl(), body, replayId);

        assertThat(direct.error()).as("direct call ends in an error").isNotNull();
        assertThat(proxied.error()).as("proxied call ends in an error").isNotNull();
        assertThat(proxied.bytes()).isNotEmpty().isEqualTo(direct.bytes());
        Map<String, Object> row = awaitCallWhere("model = 'cut'");
        assertThat(row).containsEntry("outcome", "UPSTREAM_ABORTED").containsEntry("upstream_status", 200);
        assertThat(inferenceRequests((String) row.get("request_id"))).isZero();
    }

    @Test
    void embeddingsAndResponsesAreMeteredWithTheirUsage() throws Exception {
        String embed = """
                {"model":"text-embedding-3-small","input":"The food was delicious"}""";
        Exchange[] pair = twice("POST", "/v1/embeddings", embed);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];
        assertThat(proxied.body()).isEqualTo(direct.body());
        assertThat(awaitCallWhere("path = '/v1/embeddings'")).containsEntry("input_tokens", 8L)
                .containsEntry("output_tokens", 0L).containsEntry("usage_source", "REPORTED");

        String respond = """
                {"model":"gpt-4.1","input":"Tell me a story"}""";
        Exchange responses = call(proxyUrl(), "POST", "/v1/responses", respond, Map.of());
        String id = Api_JSON(responses.body()).get("id").asString();
        assertThat(awaitCall(id)).containsEntry("input_tokens", 36L).containsEntry("output_tokens", 87L)
                .containsEntry("outcome", "METERED");
    }

    @Test
    void otherPathsPassThroughUnchangedAndAreNotMetered() throws Exception {
        Exchange[] pair = twice("GET", "/v1/models", null);
        Exchange direct = pair[0];
        Exchange proxied = pair[1];
        assertSameForClient(direct, proxied);
        assertThat(jdbc.sql("select count(*) from proxy_calls where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isZero();
    }

    @Test
    void aHeaderRouteMetersOnItsOwnWorkload() throws Exception {
        Exchange proxied = call(proxyUrl(), "POST", "/v1/chat/completions", """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""", Map.of("X-Team", "search"));
        assertThat(awaitCall(Api_JSON(proxied.body()).get("id").asString())).containsEntry("route", "by-header")
                .containsEntry("workload_id", other);
    }

    @Test
    void extrasCarryTheRequestIdAndTheEstimatedCo2eOnlyWhereTheRouteAsksForThem() throws Exception {
        String body = """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""";
        Exchange plain = call(proxyUrl(), "POST", "/v1/chat/completions", body, Map.of());
        assertThat(plain.headers().firstValue(ProxyServer.REQUEST_ID_HEADER)).isEmpty();

        Exchange extras = call(proxyUrl(), "POST", "/extras/v1/chat/completions", body, Map.of());
        String id = Api_JSON(extras.body()).get("id").asString();
        assertThat(extras.headers().firstValue(ProxyServer.REQUEST_ID_HEADER)).hasValue(id);
        String grams = extras.headers().firstValue(ProxyServer.CO2E_HEADER).orElseThrow();
        awaitCall(id);
        java.math.BigDecimal recorded = jdbc.sql("""
                select e.co2e_grams_location from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = ?""").params(tenant.id(), id)
                .query(java.math.BigDecimal.class).single();
        // the only call of its workload, so the record has the default batch occupancy the estimate assumes
        assertThat(new java.math.BigDecimal(grams)).isPositive().isEqualByComparingTo(recorded);

        Exchange stream = call(proxyUrl(), "POST", "/extras/v1/chat/completions", """
                {"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}""",
                Map.of());
        String text = new String(stream.body(), StandardCharsets.UTF_8);
        assertThat(text).contains("data: [DONE]\n\n: carbonledger request-id=" + streamId(stream) + " co2e-grams=");
    }

    @Test
    void anUpstreamThatStopsAnsweringIsA502AndAFailedCallWithoutStatus() throws Exception {
        Exchange e = call(proxyUrl(), "POST", "/v1/chat/completions", """
                {"model":"gpt-4o-mini","messages":[]}""", Map.of("X-Upstream-Gone", "1"));
        assertThat(e.status()).isEqualTo(502);
        assertThat(new String(e.body(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"about:blank\",\"title\":"
                + "\"Bad Gateway\",\"status\":502,\"detail\":\"upstream gone did not answer: ConnectException\"}");
        Map<String, Object> row = awaitCallWhere("route = 'gone'");
        assertThat(row).containsEntry("outcome", "FAILED").containsEntry("upstream_status", 0)
                .containsEntry("usage_source", "NONE").containsEntry("reason", "upstream did not answer: ConnectException");
        assertThat(inferenceRequests((String) row.get("request_id"))).isZero();
    }

    @Test
    void aKeyWithoutTheIngestScopeIsRefused() throws Exception {
        var readOnly = api.post(tenant.key(), "/v1/api-keys", org.carbonledger.support.Api.map("scopes",
                List.of("read")));
        assertThat(readOnly.status()).as(readOnly.toString()).isEqualTo(201);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(proxyUrl() + "/v1/models"))
                .header(ProxyServer.KEY_HEADER, readOnly.text("apiKey")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,"
                + "\"detail\":\"the key in X-Carbonledger-Key lacks scope ingest\",\"field\":\"X-Carbonledger-Key\"}");
    }

    @Test
    void aMissingOrUnknownProxyKeyIsRefusedWithoutForwarding() throws Exception {
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(URI.create(proxyUrl() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("\"detail\":\"the proxy needs a carbonledger key with scope ingest in "
                + "X-Carbonledger-Key\"");
        HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(URI.create(proxyUrl() + "/v1/models"))
                .header(ProxyServer.KEY_HEADER, "clk_nope_nope").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).contains("\"detail\":\"X-Carbonledger-Key is not a valid carbonledger key\"");
    }

    @Test
    void whileStorageIsDownTheProxyKeepsServingAndSpoolsThenReplaysEveryCallExactlyOnce() throws Exception {
        String body = """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""";
        Exchange before = call(proxyUrl(), "POST", "/v1/chat/completions", body, Map.of()); // the key is now cached
        awaitCall(Api_JSON(before.body()).get("id").asString());
        storageDown.set(true);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Exchange e = call(proxyUrl(), "POST", "/v1/chat/completions", body, Map.of());
            assertThat(e.status()).isEqualTo(200);
            ids.add(Api_JSON(e.body()).get("id").asString());
        }
        Path spool = dir.resolve("spool");
        awaitUntil(() -> spooledLines(spool) == 5);
        assertThat(storedCalls(ids)).isZero();
        // a crash after a replay stored the records but before it deleted its file leaves a copy behind
        Path copy = dir.resolve("copy.jsonl");
        awaitUntil(() -> copySpool(spool, copy) == 5);

        storageDown.set(false);
        awaitUntil(() -> spooledLines(spool) == 0);
        assertThat(storedCalls(ids)).isEqualTo(5);
        Files.copy(copy, spool.resolve("replaying-0.jsonl"));
        awaitUntil(() -> spooledLines(spool) == 0);
        assertThat(storedCalls(ids)).isEqualTo(5);
        for (String id : ids) {
            assertThat(inferenceRequests(id)).isEqualTo(1);
        }
    }

    // --- helpers

    private long storedCalls(List<String> ids) {
        return jdbc.sql("select count(*) from proxy_calls where tenant_id = ? and request_id = any(?)")
                .params(tenant.id(), ids.toArray(String[]::new)).query(Long.class).single();
    }

    /** Copies the spooled lines to {@code copy}; -1 when the replayer renamed a file under our feet. */
    private static long copySpool(Path spool, Path copy) {
        StringBuilder lines = new StringBuilder();
        try (var files = Files.list(spool)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                lines.append(Files.readString(f));
            }
            Files.writeString(copy, lines);
            return Files.readAllLines(copy).stream().filter(l -> !l.isBlank()).count();
        } catch (java.nio.file.NoSuchFileException renamed) {
            return -1;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long spooledLines(Path spool) {
        try (var files = Files.list(spool)) {
            long n = 0;
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                n += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    private long inferenceRequests(String requestId) {
        return jdbc.sql("select count(*) from inference_requests where tenant_id = ? and request_id = ?")
                .params(tenant.id(), requestId).query(Long.class).single();
    }

    private Map<String, Object> awaitCall(String requestId) {
        return awaitCallWhere("request_id = '" + requestId.replace("'", "''") + "'");
    }

    private Map<String, Object> awaitCallWhere(String condition) {
        String sql = "select * from proxy_calls where tenant_id = ? and " + condition;
        awaitUntil(() -> !jdbc.sql(sql).param(tenant.id()).query().listOfRows().isEmpty());
        return jdbc.sql(sql).param(tenant.id()).query().singleRow();
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private String proxyUrl() {
        return "http://127.0.0.1:" + proxy.port();
    }

    record Exchange(int status, java.net.http.HttpHeaders headers, byte[] body) {
    }

    record Partial(byte[] bytes, IOException error) {
    }

    private HttpRequest request(String base, String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header(ProxyServer.KEY_HEADER, tenant.key())
                .header("Authorization", "Bearer sk-upstream-key");
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        return b.build();
    }

    private Exchange call(String base, String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpResponse<byte[]> r = HTTP.send(request(base, method, path, body, headers),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Exchange(r.statusCode(), r.headers(), r.body());
    }

    private Partial callUntilCut(String base, String body, String replayId) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(request(base, "POST", "/v1/chat/completions", body,
                        Map.of("X-Replay-Id", replayId)),
                HttpResponse.BodyHandlers.ofInputStream());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[256];
        try (InputStream in = r.body()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.write(buf, 0, n);
            }
        } catch (IOException e) {
            return new Partial(got.toByteArray(), e);
        }
        return new Partial(got.toByteArray(), null);
    }

    /** The same call directly to the upstream and through the proxy, with the same replay id. */
    private Exchange[] twice(String method, String path, String body) throws Exception {
        Map<String, String> headers = Map.of("X-Replay-Id", UUID.randomUUID().toString().replace("-", ""));
        return new Exchange[] {call(upstream.url(), method, path, body, headers),
                call(proxyUrl(), method, path, body, headers)};
    }

    /** Direct and proxied responses are equal for the client: status, headers of the answer, body byte for byte. */
    private static void assertSameForClient(Exchange direct, Exchange proxied) {
        assertThat(proxied.status()).isEqualTo(direct.status());
        assertThat(proxied.headers().firstValue("content-type")).isEqualTo(direct.headers().firstValue("content-type"));
        assertThat(proxied.headers().firstValue("openai-processing-ms"))
                .isEqualTo(direct.headers().firstValue("openai-processing-ms"));
        assertThat(proxied.headers().firstValue("x-request-id")).isEqualTo(direct.headers().firstValue("x-request-id"));
        assertThat(proxied.body()).isEqualTo(direct.body());
    }

    private static String streamId(Exchange e) {
        return Api_JSON(firstEvent(e.body())).get("id").asString();
    }

    private static byte[] firstEvent(byte[] sse) {
        String s = new String(sse, StandardCharsets.UTF_8);
        int start = s.indexOf("data: ") + 6;
        return s.substring(start, s.indexOf('\n', start)).getBytes(StandardCharsets.UTF_8);
    }

    private static tools.jackson.databind.JsonNode Api_JSON(byte[] bytes) {
        return org.carbonledger.support.Api.JSON.readTree(bytes);
    }
}
