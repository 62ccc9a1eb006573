package org.carbonledger.telemetry;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The consumer group's lag on the telemetry topic, read from the broker: the records produced but not yet
 * committed by the group. Zero lag means every record produced so far is stored (offsets are committed after the
 * database transaction).
 */
public final class KafkaLag implements AutoCloseable {

    private final Admin admin;
    private final String topic;
    private final String group;

    public KafkaLag(String bootstrapServers, String topic, String group) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(config);
        this.topic = topic;
        this.group = group;
    }

    long lag() throws Exception {
        var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions()
                .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, OffsetSpec> latest = partitions.stream()
                .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>(
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get());
        long lag = 0;
        for (TopicPartition p : partitions) {
            OffsetAndMetadata c = committed.get(p);
            lag += ends.get(p).offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }

    /** Waits until the group has committed everything produced so far. */
    public void awaitZero(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lag = -1;
        while (System.nanoTime() < deadline) {
            try {
                lag = lag();
                if (lag == 0) {
                    return;
                }
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (Exception e) {
                // topic or group not known yet
            }
        }
        throw new AssertionError("the consumers did not catch up within " + timeout + " (lag " + lag + ")");
    }

    @Override
    public void close() {
        admin.close();
    }

    private static KafkaLag shared;
    private static String sharedBootstrap;

    /**
     * Returns when the {@link KafkaTransport} test context's consumers have stored everything produced to its topic:
     * one lag reader per broker, shared by the test classes of that context.
     */
    public static synchronized void awaitTestContextStored(String bootstrapServers) {
        if (shared == null || !bootstrapServers.equals(sharedBootstrap)) {
            if (shared != null) {
                shared.close();
            }
            shared = new KafkaLag(bootstrapServers, KafkaTransport.TOPIC, KafkaTransport.GROUP);
            sharedBootstrap = bootstrapServers;
        }
        shared.awaitZero(Duration.ofSeconds(30));
    }
}
