package org.carbonledger.telemetry.kafka;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code carbonledger.ingest.kafka.*}: the telemetry topic, its partition count, the consumer group shared by all
 * instances, this instance's name (the consumer's client id), how long the API waits for the broker, and how many
 * consumer threads this instance runs (each holds some of the instance's partitions), and how the clients
 * authenticate to the brokers ({@link KafkaAuthentication}).
 */
@ConfigurationProperties("carbonledger.ingest.kafka")
record KafkaIngestSettings(String topic, int partitions, short replicationFactor, String group, String instance,
        long acknowledgementTimeoutMillis, int maxPollRecords, int consumerThreads, String auth) {

    KafkaIngestSettings {
        topic = topic == null || topic.isBlank() ? "carbonledger.telemetry.requests" : topic;
        partitions = partitions <= 0 ? 12 : partitions;
        group = group == null || group.isBlank() ? "carbonledger-telemetry" : group;
        instance = instance == null || instance.isBlank()
                ? java.lang.management.ManagementFactory.getRuntimeMXBean().getName() : instance;
        acknowledgementTimeoutMillis = acknowledgementTimeoutMillis <= 0 ? 30_000 : acknowledgementTimeoutMillis;
        maxPollRecords = maxPollRecords <= 0 ? 2000 : maxPollRecords;
        consumerThreads = consumerThreads <= 0 ? 2 : consumerThreads;
        KafkaAuthentication.of(auth);
    }

    KafkaAuthentication authentication() {
        return KafkaAuthentication.of(auth);
    }
}
