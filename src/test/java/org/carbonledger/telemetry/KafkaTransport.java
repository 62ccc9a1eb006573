package org.carbonledger.telemetry;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.context.TestPropertySource;

/**
 * The application on the Kafka transport against a real in-JVM KRaft broker, its own application context (the
 * shared one stays on the embedded transport); every class carrying this shares that one context and broker.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Inherited
@EmbeddedKafka(partitions = KafkaTransport.PARTITIONS, bootstrapServersProperty = "spring.kafka.bootstrap-servers")
@TestPropertySource(properties = {"carbonledger.ingest.transport=kafka",
        "carbonledger.ingest.kafka.partitions=" + KafkaTransport.PARTITIONS,
        "carbonledger.ingest.kafka.topic=" + KafkaTransport.TOPIC,
        "carbonledger.ingest.kafka.group=" + KafkaTransport.GROUP,
        "spring.kafka.consumer.properties.session.timeout.ms=" + KafkaTransport.SESSION_TIMEOUT_MS,
        "spring.kafka.consumer.properties.heartbeat.interval.ms=1000",
        "logging.level.org.apache.kafka=WARN", "logging.level.kafka=WARN", "logging.level.org.springframework.kafka=WARN"})
public @interface KafkaTransport {

    int PARTITIONS = 4;
    String TOPIC = "telemetry-test";
    String GROUP = "telemetry-test-consumers";
    int SESSION_TIMEOUT_MS = 6000;
}
