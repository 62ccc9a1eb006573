package org.carbonledger.proxy;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.carbonledger.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills the proxy process (SIGKILL) while calls stream through it and restarts it on the same data directory: every
 * call whose client got a response is stored exactly once, with its emission record. The proxy is a child JVM
 * running {@code serve} with {@code CARBONLEDGER_PROXY_ROUTES} on the test's PostgreSQL, in front of a local
 * upstream. Half-way, the test holds a lock on {@code proxy_calls}, so the records of the calls after it can only be
 * in the proxy's journal when it is killed.
 */
class ProxyCrashIntegrationTest extends IntegrationTest {

    private static final int CLIENTS = 4;

    @Autowired
    DataSource dataSource;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<Process, int[]> portsOf = new HashMap<>();

    @Test
    void killingTheProxyMidStreamLosesNoAnsweredCallAndCountsNoneTwice() throws Exception {
        Tenant tenant = newTenant(unique("proxy-crash"), 30);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        Path dataDir = Files.createTempDirectory(Path.of("target"), "proxy-crash-");
        Path routes = dataDir.resolve("routes.yaml");
        Set<String> answered = ConcurrentHashMap.newKeySet();
        try (OpenAiReplay upstream = new OpenAiReplay();
                Connection blocker = dataSource.getConnection()) {
            Files.writeString(routes, """
                    upstreams:
                      replay:
                        url: %s
                    routes:
                      - name: default
                        upstream: replay
                        workload: %s
                    """.formatted(upstream.url(), workload));
            Process proxy = start(dataDir, routes);
            try {
                int proxyPort = awaitReady(proxy);
                AtomicInteger next = new AtomicInteger();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    Thread client = new Thread(() -> drive(proxyPort, tenant.key(), next, answered));
                    client.start();
                    clients.add(client);
                }
                awaitAnswered(answered, 200, proxy);
                // from here on storage cannot take a proxy record: what is answered is only in the journal
                blocker.setAutoCommit(false);
                blocker.createStatement().execute("lock table proxy_calls in exclusive mode");
                int beforeLock = answered.size();
                awaitAnswered(answered, beforeLock + 300, proxy);
                proxy.destroyForcibly(); // SIGKILL, calls in flight
                proxy.waitFor();
                for (Thread client : clients) {
                    client.join();
                }
                assertThat(stored(tenant.id(), answered)).as("answered calls stored before the restart")
                        .isLessThanOrEqualTo(beforeLock + CLIENTS);
                blocker.rollback();
                blocker.setAutoCommit(true);

                Process restarted = start(dataDir, routes);
                try {
                    awaitReady(restarted);
                    for (int i = 0; i < 600 && stored(tenant.id(), answered) < answered.size(); i++) {
                        Thread.sleep(100);
                    }
                } finally {
                    restarted.destroy();
                    restarted.waitFor();
                }
            } finally {
                proxy.destroyForcibly();
            }
        }
        assertThat(answered.size()).isGreaterThanOrEqualTo(500);
        var rows = jdbc.sql("""
                select r.request_id, count(e.id) as emissions,
                       (select count(*) from proxy_calls p where p.tenant_id = r.tenant_id
                                                             and p.request_id = r.request_id) as calls
                  from inference_requests r left join emission_records e on e.inference_request_id = r.id
                 where r.tenant_id = ? group by r.id, r.request_id""").param(tenant.id())
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getLong(2), rs.getLong(3)}).list();
        Set<String> stored = new java.util.HashSet<>();
        for (Object[] row : rows) {
            assertThat(stored.add((String) row[0])).as("stored twice: %s", row[0]).isTrue();
            assertThat(row[1]).as("emission records of %s", row[0]).isEqualTo(1L);
            assertThat(row[2]).as("proxy calls of %s", row[0]).isEqualTo(1L);
        }
        // every answered call is stored; calls cut by the kill (no response) may or may not be
        assertThat(stored).containsAll(answered);
    }

    /** Sends calls one after the other until the proxy dies; records the request ids of complete responses. */
    private void drive(int port, String key, AtomicInteger next, Set<String> answered) {
        while (true) {
            String replayId = "crash-" + next.getAndIncrement();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header(ProxyServer.KEY_HEADER, key).header("X-Replay-Id", replayId)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}"""))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                answered.add(Api.JSON.readTree(r.body()).path("id").asString());
            } catch (IOException | InterruptedException proxyGone) {
                return;
            }
        }
    }

    private long stored(UUID tenantId, Set<String> answered) {
        return jdbc.sql("select count(*) from proxy_calls where tenant_id = ? and request_id = any(?)")
                .params(tenantId, answered.toArray(String[]::new)).query(Long.class).single();
    }

    private static void awaitAnswered(Set<String> answered, int n, Process proxy) throws InterruptedException {
        for (int i = 0; i < 1200 && answered.size() < n; i++) {
            assertThat(proxy.isAlive()).as("the proxy process is alive").isTrue();
            Thread.sleep(25);
        }
        assertThat(answered.size()).as("answered calls").isGreaterThanOrEqualTo(n);
    }

    private Process start(Path dataDir, Path routes) throws IOException, java.sql.SQLException {
        int port = ServeProcess.freePort();
        int proxyPort = ServeProcess.freePort();
        Process process = ServeProcess.start(dataSource, dataDir, port, dataDir.resolve("node.log"),
                Map.of("CARBONLEDGER_PROXY_ROUTES", routes.toString(), "CARBONLEDGER_PROXY_PORT",
                        String.valueOf(proxyPort)),
                "--logging.level.org.carbonledger.proxy=INFO");
        portsOf.put(process, new int[] {port, proxyPort});
        return process;
    }

    /** Waits for the application to be healthy and the proxy to accept connections; returns the proxy port. */
    private int awaitReady(Process process) throws Exception {
        int[] ports = portsOf.get(process);
        ServeProcess.awaitHealthy(process, ports[0], "proxy process");
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", ports[1])) {
                return ports[1];
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the proxy did not accept connections on port " + ports[1]);
    }
}
