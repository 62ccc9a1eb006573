package org.carbonledger.telemetry.otlp;

import java.time.Duration;
import org.carbonledger.telemetry.KafkaLag;
import org.carbonledger.telemetry.KafkaTransport;
import org.junit.jupiter.api.AfterAll;
import org.springframework.beans.factory.annotation.Value;

/**
 * Every OTLP case of {@link OtlpTraceIntegrationTest} on the Kafka transport (real in-JVM KRaft broker): the API
 * maps and checks spans, produces the requests, and the application's consumer stores them once.
 */
@KafkaTransport
class KafkaOtlpTraceIntegrationTest extends OtlpTraceIntegrationTest {

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

    @AfterAll
    static void closeAdmin() {
        if (lag != null) {
            lag.close();
            lag = null;
        }
    }
}
