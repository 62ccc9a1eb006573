package org.carbonledger.telemetry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.carbonledger.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills the ingesting process in the middle of a stream of batches and restarts it: every acknowledged request is
 * stored exactly once, with its emission record. The ingesting process is a child JVM running {@code serve} on the
 * test's PostgreSQL, as a node runs against its database.
 */
class IngestCrashIntegrationTest extends IntegrationTest {

    @Autowired
    DataSource dataSource;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void killingTheIngestingProcessMidStreamLosesNoAcknowledgedRequestAndCountsNoneTwice() throws Exception {
        Tenant tenant = newTenant(unique("crash"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        Instant ended = Instant.now().minusSeconds(3600);
        List<String> batches = new ArrayList<>();
        for (int b = 0; b < 60; b++) {
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                records.add(request("crash-" + b + "-" + i, workload, 10 + i, 20, ended));
            }
            batches.add(Api.JSON.writeValueAsString(Api.map("requests", records)));
        }
        Path dataDir = Files.createTempDirectory(Path.of("target"), "crash-node-");
        Set<String> acknowledged = new HashSet<>();
        int next = 0;
        Process node = start(dataDir);
        int port = awaitReady(node);
        try {
            // stream until a third is acknowledged, then kill the node while a batch is in flight
            while (next < 20) {
                acknowledged.addAll(send(port, tenant.key(), batches.get(next)));
                next++;
            }
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    return;
                }
                node.destroyForcibly();
            });
            killer.start();
            try {
                while (next < batches.size()) {
                    acknowledged.addAll(send(port, tenant.key(), batches.get(next)));
                    next++;
                }
            } catch (IOException expected) {
                // the node died: this batch and the following ones are not acknowledged
            }
            killer.join();
            node.waitFor();
            assertThat(next).as("the node was killed mid-stream").isLessThan(batches.size());

            Process restarted = start(dataDir);
            try {
                int newPort = awaitReady(restarted);
                for (int b = next; b < batches.size(); b++) { // the client retries from the first unacknowledged
                    acknowledged.addAll(send(newPort, tenant.key(), batches.get(b)));
                }
                // and replays everything once more, as a client unsure of its acknowledgements might
                for (String batch : batches) {
                    send(newPort, tenant.key(), batch);
                }
            } finally {
                restarted.destroy();
                restarted.waitFor();
            }
        } finally {
            node.destroyForcibly();
        }
        assertThat(acknowledged).hasSize(6000);
        var rows = jdbc.sql("""
                select r.request_id, count(e.id) as emissions from inference_requests r
                  left join emission_records e on e.inference_request_id = r.id
                 where r.tenant_id = ? group by r.id, r.request_id""").param(tenant.id())
                .query((rs, n) -> Map.entry(rs.getString(1), rs.getLong(2))).list();
        Set<String> stored = new HashSet<>();
        for (var row : rows) {
            assertThat(stored.add(row.getKey())).as("stored twice: %s", row.getKey()).isTrue();
            assertThat(row.getValue()).as("emission records of %s", row.getKey()).isEqualTo(1);
        }
        assertThat(stored).isEqualTo(acknowledged);
    }

    /** The requestIds the node acknowledged (accepted or already stored). */
    private Set<String> send(int port, String key, String batch) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/v1/telemetry/requests"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(batch)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        Set<String> ids = new HashSet<>();
        for (var item : Api.JSON.readTree(response.body()).path("items")) {
            assertThat(item.path("status").asString()).isIn("ACCEPTED", "DUPLICATE");
            ids.add(item.path("requestId").asString());
        }
        return ids;
    }

    private Process start(Path dataDir) throws IOException, java.sql.SQLException {
        int port = ServeProcess.freePort();
        Process process = ServeProcess.start(dataSource, dataDir, port, dataDir.resolve("node.log"), Map.of());
        portOf.put(process, port);
        return process;
    }

    private final Map<Process, Integer> portOf = new java.util.HashMap<>();

    private int awaitReady(Process process) throws Exception {
        int port = portOf.get(process);
        ServeProcess.awaitHealthy(process, port, "node");
        return port;
    }
}
