package org.carbonledger.telemetry.otlp;

import org.carbonledger.telemetry.KafkaLag;
import org.carbonledger.telemetry.KafkaTransport;
import org.springframework.beans.factory.annotation.Value;

/**
 * Every OTLP case of {@link OtlpTraceIntegrationTest} on the Kafka transport (real in-JVM KRaft broker): the API
 * maps and checks spans, produces the requests, and the application's consumer stores them once.
 */
@KafkaTransport
class KafkaOtlpTraceIntegrationTest extends OtlpTraceIntegrationTest {

    @Value("${spring.kafka.bootstrap-servers}")
    String bootstrapServers;

    @Override
    protected void awaitStored() {
        KafkaLag.awaitTestContextStored(bootstrapServers);
    }
}
