package org.carbonledger.telemetry;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest semantics on the Kafka transport, against a real in-JVM KRaft broker: the API checks and produces, the
 * application's own consumer stores. Its own application context (the shared one stays on the embedded transport).
 */
@KafkaTransport
class KafkaRequestIngestIntegrationTest extends RequestIngestContract {

    private static KafkaLag lag;

    @Value("${spring.kafka.bootstrap-servers}")
    String bootstrapServers;

    @Override
    protected void awaitStored() {
        if (lag == null) {
            lag = new KafkaLag(bootstrapServers, KafkaTransport.TOPIC, KafkaTransport.GROUP);
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
        assertThat(response.text("topic")).isEqualTo(KafkaTransport.TOPIC);
        assertThat(response.text("consumerGroup")).isEqualTo(KafkaTransport.GROUP);
        assertThat(response.body().path("assignedPartitions").toString()).isEqualTo("[\"telemetry-test-0\","
                + "\"telemetry-test-1\",\"telemetry-test-2\",\"telemetry-test-3\"]");
    }
}
