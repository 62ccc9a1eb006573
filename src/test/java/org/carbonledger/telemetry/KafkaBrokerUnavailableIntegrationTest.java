package org.carbonledger.telemetry;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.carbonledger.CarbonLedgerApplication;
import org.carbonledger.support.Api;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka mode when the broker is gone: a batch the broker cannot acknowledge is answered {@code 503} naming the
 * telemetry log, nothing of it is acknowledged, and what was acknowledged before stays stored exactly once. Its own
 * broker and application, since the broker is stopped mid-test.
 */
class KafkaBrokerUnavailableIntegrationTest {

    private static final String OPERATOR = "broker-gone-operator-key-0123";

    @TempDir
    Path dataDir;

    @Test
    void aBatchTheBrokerCannotAcknowledgeIsA503AndNothingAcknowledgedIsLost() throws Exception {
        // a broker of its own, whose address must not replace the shared Kafka test context's in the system
        // properties (the broker publishes it there)
        String embeddedBrokers = System.getProperty("spring.embedded.kafka.brokers");
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 2);
        broker.brokerListProperty("carbonledger.test.broker-gone.bootstrap-servers");
        broker.afterPropertiesSet();
        restore("spring.embedded.kafka.brokers", embeddedBrokers);
        boolean brokerUp = true;
        try (var app = new SpringApplicationBuilder(CarbonLedgerApplication.class).run(
                "--carbonledger.data-dir=" + dataDir, "--carbonledger.db.url=",
                "--carbonledger.embedded-db.durable=false", "--carbonledger.admin-key=" + OPERATOR,
                "--server.port=0", "--carbonledger.emissions.scheduling=false",
                "--carbonledger.ingest.transport=kafka", "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "--carbonledger.ingest.kafka.partitions=2", "--carbonledger.ingest.kafka.topic=telemetry-gone",
                "--carbonledger.ingest.kafka.group=telemetry-gone-consumers",
                "--carbonledger.ingest.kafka.acknowledgement-timeout-millis=3000",
                "--logging.level.org.apache.kafka=ERROR", "--logging.level.kafka=ERROR",
                "--logging.level.org.springframework.kafka=ERROR")) {
            Api api = new Api(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
            JdbcClient jdbc = app.getBean(JdbcClient.class);
            var tenant = api.post(OPERATOR, "/v1/tenants", Api.map("name", "broker-gone", "pricePerTonne", 100));
            assertThat(tenant.status()).as(tenant.toString()).isEqualTo(201);
            String key = tenant.text("apiKey");
            UUID tenantId = UUID.fromString(tenant.text("id"));
            Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600);
            var workload = api.post(key, "/v1/workloads", Api.map("name", "chat", "model",
                    "meta-llama/Meta-Llama-3.1-70B-Instruct", "gpuModel", "H100", "gpuCount", 4, "region",
                    "us-east-1", "servingSince", at.minusSeconds(3600).toString()));
            assertThat(workload.status()).as(workload.toString()).isEqualTo(201);
            String workloadId = workload.text("id");

            var first = api.post(key, "/v1/telemetry/requests", Api.map("requests", List.of(
                    request("before-1", workloadId, at))));
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            assertThat(first.body().path("accepted").asInt()).isEqualTo(1);
            awaitStored(jdbc, tenantId, 1);

            broker.destroy();
            brokerUp = false;
            var second = api.post(key, "/v1/telemetry/requests", Api.map("requests", List.of(
                    request("during-1", workloadId, at), request("before-1", workloadId, at))));
            assertThat(second.status()).as(second.toString()).isEqualTo(503);
            assertThat(second.text("title")).isEqualTo("Telemetry log unavailable");
            assertThat(second.text("detail")).contains("did not acknowledge the batch")
                    .contains("nothing of this batch is acknowledged");

            assertThat(jdbc.sql("""
                    select r.request_id, count(e.id) from inference_requests r
                      left join emission_records e on e.inference_request_id = r.id
                     where r.tenant_id = ? group by r.request_id""").param(tenantId)
                    .query((rs, n) -> rs.getString(1) + ":" + rs.getLong(2)).list())
                    .as("the acknowledged request is stored once; the refused one is not stored")
                    .containsExactly("before-1:1");
        } finally {
            if (brokerUp) {
                broker.destroy();
            }
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    private static java.util.Map<String, Object> request(String id, String workloadId, Instant at) {
        return Api.map("requestId", id, "workloadId", workloadId, "inputTokens", 100, "outputTokens", 50,
                "startedAt", at.minusSeconds(2).toString(), "endedAt", at.toString());
    }

    private static void awaitStored(JdbcClient jdbc, UUID tenantId, long expected) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            long stored = jdbc.sql("select count(*) from inference_requests where tenant_id = ?").param(tenantId)
                    .query(Long.class).single();
            if (stored == expected) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the consumer did not store " + expected + " request(s) within 30 s");
    }
}
