package org.carbonledger.telemetry;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest semantics on the Kafka transport, against a real in-JVM KRaft broker: the API checks and produces, the
 * application's own consumer stores. Its own application context (the shared one stays on the embedded transport).
 */
@EmbeddedKafka(partitions = 4, bootstrapServersProperty = "spring.kafka.bootstrap-servers")
@TestPropertySource(properties = {"carbonledger.ingest.transport=kafka", "carbonledger.ingest.kafka.partitions=4",
        "carbonledger.ingest.kafka.topic=telemetry-contract", "carbonledger.ingest.kafka.group=contract-consumers"})
class KafkaRequestIngestIntegrationTest extends RequestIngestContract {

    private static KafkaLag lag;

    @Value("${spring.kafka.bootstrap-servers}")
    String bootstrapServers;

    @Override
    protected void awaitStored() {
        if (lag == null) {
            lag = new KafkaLag(bootstrapServers, "telemetry-contract", "contract-consumers");
        }
        lag.awaitZero(Duration.ofSeconds(30));
    }

    @Override
    protected boolean inFlightDuplicatesAnsweredOnce() {
        return false;
    }

    @AfterAll
    static void closeAdmin() {
        if (lag != null) {
            lag.close();
            lag = null;
        }
    }

    @Test
    void theInstanceReportsItsTransportAndHoldsEveryPartitionAlone() throws InterruptedException {
        var response = api.get(OPERATOR_KEY, "/v1/operator/telemetry/transport");
        for (int i = 0; i < 300 && response.body().path("assignedPartitions").size() < 4; i++) {
            Thread.sleep(100);
            response = api.get(OPERATOR_KEY, "/v1/operator/telemetry/transport");
        }
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.text("transport")).isEqualTo("kafka");
        assertThat(response.text("topic")).isEqualTo("telemetry-contract");
        assertThat(response.text("consumerGroup")).isEqualTo("contract-consumers");
        assertThat(response.body().path("assignedPartitions").toString()).isEqualTo("[\"telemetry-contract-0\","
                + "\"telemetry-contract-1\",\"telemetry-contract-2\",\"telemetry-contract-3\"]");
    }
}
