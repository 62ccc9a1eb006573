package org.carbonledger.telemetry.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.carbonledger.telemetry.RequestIngest;
import org.carbonledger.workload.Workloads;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.backoff.FixedBackOff;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code carbonledger.ingest.transport=kafka}: the topic, the producer (idempotent, {@code acks=all}, whatever
 * {@code spring.kafka.producer.*} says), the batch consumer (offsets committed after each stored poll; a failing
 * poll is retried every second, never skipped) and the transport. The broker is {@code spring.kafka.bootstrap-servers};
 * the admin, producer and consumer authenticate as {@code carbonledger.ingest.kafka.auth} says.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "carbonledger.ingest.transport", havingValue = "kafka")
@EnableConfigurationProperties(KafkaIngestSettings.class)
class KafkaIngestConfiguration {

    static final String CONTAINER_FACTORY = "telemetryIngestContainerFactory";

    @Bean
    NewTopic telemetryTopic(KafkaIngestSettings settings) {
        return new NewTopic(settings.topic(), Optional.of(settings.partitions()),
                settings.replicationFactor() > 0 ? Optional.of(settings.replicationFactor()) : Optional.empty());
    }

    /** Boot's admin client, with the transport's authentication: it creates the topic. */
    @Bean
    KafkaAdmin kafkaAdmin(KafkaProperties kafka, KafkaIngestSettings settings) {
        Map<String, Object> config = new HashMap<>(kafka.buildAdminProperties());
        config.putAll(settings.authentication().clientProperties());
        KafkaAdmin admin = new KafkaAdmin(config);
        KafkaProperties.Admin properties = kafka.getAdmin();
        if (properties.getCloseTimeout() != null) {
            admin.setCloseTimeout((int) properties.getCloseTimeout().getSeconds());
        }
        if (properties.getOperationTimeout() != null) {
            admin.setOperationTimeout((int) properties.getOperationTimeout().getSeconds());
        }
        admin.setFatalIfBrokerNotAvailable(properties.isFailFast());
        admin.setModifyTopicConfigs(properties.isModifyTopicConfigs());
        admin.setAutoCreate(properties.isAutoCreate());
        return admin;
    }

    @Bean
    KafkaTemplate<String, byte[]> telemetryProducer(KafkaProperties kafka, KafkaIngestSettings settings) {
        Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
        config.putAll(settings.authentication().clientProperties());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, settings.instance() + "-producer");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // an API call never blocks longer than it waits for acknowledgements (the client's default is 60 s, e.g.
        // for metadata of a broker that is gone); the send then fails and the batch is answered 503
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.acknowledgementTimeoutMillis());
        return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(config));
    }

    @Bean(CONTAINER_FACTORY)
    ConcurrentKafkaListenerContainerFactory<String, byte[]> telemetryIngestContainerFactory(KafkaProperties kafka,
            KafkaIngestSettings settings) {
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.putAll(settings.authentication().clientProperties());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        // a poll is stored in one transaction, whose commit waits for its WAL flush: under load, let the broker
        // gather up to 256 KiB (about a thousand requests) or 200 ms per fetch instead of answering each fetch with
        // the few records just produced
        config.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 256 * 1024);
        config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        var factory = new ConcurrentKafkaListenerContainerFactory<String, byte[]>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(config));
        factory.setBatchListener(true);
        factory.setConcurrency(settings.consumerThreads());
        factory.getContainerProperties().setAckMode(ContainerProperties.AckMode.BATCH);
        factory.getContainerProperties().setClientId(settings.instance());
        factory.setCommonErrorHandler(new DefaultErrorHandler(new FixedBackOff(1000L, FixedBackOff.UNLIMITED_ATTEMPTS)));
        return factory;
    }

    @Bean
    KafkaIngestConsumer kafkaIngestConsumer(RequestIngest requests, Workloads workloads,
            PlatformTransactionManager transactionManager, JsonMapper json) {
        return new KafkaIngestConsumer(requests, workloads, new TransactionTemplate(transactionManager), json);
    }

    @Bean
    KafkaIngestTransport kafkaIngestTransport(RequestIngest requests, KafkaTemplate<String, byte[]> telemetryProducer,
            KafkaListenerEndpointRegistry listeners, JsonMapper json, KafkaIngestSettings settings) {
        return new KafkaIngestTransport(requests, telemetryProducer, listeners, json, settings);
    }
}
