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
import java.util.HashMap;
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
import org.springframework.beans.factory.annotation.Value;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two application instances on one topic: this test's application and a second {@code serve} process on the same
 * broker, database, topic and consumer group. The group splits the partitions between them; load goes through both;
 * the second instance — HTTP ingest and consumer — is killed in the middle of the stream and restarted. Every
 * acknowledged request is stored exactly once with its emission record.
 */
@KafkaTransport
class KafkaScaleOutIntegrationTest extends IntegrationTest {

    @Autowired
    DataSource dataSource;

    @Value("${spring.kafka.bootstrap-servers}")
    String bootstrapServers;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void twoInstancesSplitThePartitionsAndAccountEveryRequestOnceThroughAConsumerKill() throws Exception {
        Tenant tenant = newTenant(unique("scale-out"), 100);
        List<UUID> workloads = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            workloads.add(newWorkload(tenant.key(), "w" + w, "meta-llama/Meta-Llama-3.1-8B-Instruct", "us-east-1"));
        }
        // after the workloads were registered (at START) and not in the future of this instance's clock (START)
        Instant ended = START.plusSeconds(60);
        List<String> batches = new ArrayList<>();
        for (int b = 0; b < 80; b++) {
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                records.add(request("so-" + b + "-" + i, workloads.get((b + i) % workloads.size()), 10 + i, 20,
                        ended));
            }
            batches.add(Api.JSON.writeValueAsString(Api.map("requests", records)));
        }
        Path dataDir = Files.createTempDirectory(Path.of("target"), "scale-out-node-");
        Set<String> acknowledged = new HashSet<>();
        int next = 0;
        Process second = start(dataDir, "second");
        int secondPort = awaitReady(second);
        try {
            // the group splits the partitions: each instance holds some, none holds one the other holds
            List<String> mine = List.of();
            List<String> theirs = List.of();
            for (int i = 0; i < 300; i++) {
                mine = partitions(port);
                theirs = partitions(secondPort);
                if (!mine.isEmpty() && !theirs.isEmpty() && mine.size() + theirs.size() == KafkaTransport.PARTITIONS) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(mine).as("partitions of this instance").isNotEmpty();
            assertThat(theirs).as("partitions of the second instance").isNotEmpty().doesNotContainAnyElementsOf(mine);
            Set<String> all = new HashSet<>(mine);
            all.addAll(theirs);
            assertThat(all).hasSize(KafkaTransport.PARTITIONS);

            // load through both instances, then kill the second while a batch is in flight to it
            while (next < 30) {
                acknowledged.addAll(send(next % 2 == 0 ? port : secondPort, tenant.key(), batches.get(next)));
                next++;
            }
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                second.destroyForcibly();
            });
            killer.start();
            try {
                while (next < 60) {
                    acknowledged.addAll(send(secondPort, tenant.key(), batches.get(next)));
                    next++;
                }
            } catch (IOException expected) {
                // the second instance died: this batch is not acknowledged
            }
            killer.join();
            second.waitFor();
            assertThat(next).as("the second instance was killed mid-stream").isLessThan(60);
            // the stream goes on through this instance while the second is down
            int resumeAt = next;
            for (int b = resumeAt; b < resumeAt + 10; b++) {
                acknowledged.addAll(send(port, tenant.key(), batches.get(b)));
                next++;
            }
            Process restarted = start(dataDir, "second-restarted");
            try {
                int newPort = awaitReady(restarted);
                for (int b = next; b < batches.size(); b++) {
                    acknowledged.addAll(send(b % 2 == 0 ? port : newPort, tenant.key(), batches.get(b)));
                }
                // a client unsure of its acknowledgements replays everything, through either instance
                for (int b = 0; b < batches.size(); b++) {
                    send(b % 2 == 0 ? newPort : port, tenant.key(), batches.get(b));
                }
                try (KafkaLag lag = new KafkaLag(bootstrapServers, KafkaTransport.TOPIC, KafkaTransport.GROUP)) {
                    lag.awaitZero(Duration.ofSeconds(60));
                }
            } finally {
                restarted.destroy();
                restarted.waitFor();
            }
        } finally {
            second.destroyForcibly();
        }
        // every batch was acknowledged once: before the kill, through this instance while the second was down (from
        // the batch in flight at the kill), and through both after the restart
        assertThat(acknowledged).hasSize(batches.size() * 50);
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

    private List<String> partitions(int instancePort) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + instancePort + "/v1/operator/telemetry/transport"))
                .header("Authorization", "Bearer " + OPERATOR_KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        List<String> partitions = new ArrayList<>();
        for (JsonNode p : Api.JSON.readTree(response.body()).path("assignedPartitions")) {
            partitions.add(p.asString());
        }
        return partitions;
    }

    /** The requestIds the instance acknowledged (accepted or already stored). */
    private Set<String> send(int instancePort, String key, String batch) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + instancePort + "/v1/telemetry/requests"))
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

    private final Map<Process, Integer> portOf = new HashMap<>();

    private Process start(Path dataDir, String name) throws IOException, java.sql.SQLException {
        int instancePort = ServeProcess.freePort();
        Map<String, String> env = new HashMap<>(Map.of("CARBONLEDGER_ADMIN_KEY", OPERATOR_KEY,
                "CARBONLEDGER_INGEST_TRANSPORT", "kafka", "CARBONLEDGER_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers,
                "CARBONLEDGER_KAFKA_TOPIC", KafkaTransport.TOPIC, "CARBONLEDGER_KAFKA_GROUP", KafkaTransport.GROUP,
                "CARBONLEDGER_KAFKA_PARTITIONS", String.valueOf(KafkaTransport.PARTITIONS),
                "CARBONLEDGER_INSTANCE_NAME", name));
        Process process = ServeProcess.start(dataSource, dataDir, instancePort, dataDir.resolve(name + ".log"), env,
                "--spring.kafka.consumer.properties.session.timeout.ms=" + KafkaTransport.SESSION_TIMEOUT_MS,
                "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000");
        portOf.put(process, instancePort);
        return process;
    }

    private int awaitReady(Process process) throws Exception {
        int instancePort = portOf.get(process);
        ServeProcess.awaitHealthy(process, instancePort, "instance");
        return instancePort;
    }
}
