package org.carbonledger.telemetry.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.telemetry.IngestTransport;
import org.carbonledger.telemetry.RequestIngest;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Checked;
import org.carbonledger.telemetry.RequestIngest.Item;
import org.carbonledger.telemetry.RequestIngest.Outcome;
import org.carbonledger.telemetry.RequestIngest.Result;
import org.springframework.http.HttpStatus;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.MessageListenerContainer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The scale-out transport: a batch is checked exactly as in the embedded transport, items already stored are
 * answered {@code DUPLICATE}, and the others are produced to the telemetry topic (idempotent producer,
 * {@code acks=all}, key tenant/workload). The answer waits for the broker's acknowledgement of every record, so
 * {@code ACCEPTED} means durable in the replicated log; {@link KafkaIngestConsumer} stores them exactly once.
 */
class KafkaIngestTransport implements IngestTransport {

    private final RequestIngest requests;
    private final KafkaTemplate<String, byte[]> producer;
    private final KafkaListenerEndpointRegistry listeners;
    private final JsonMapper json;
    private final KafkaIngestSettings settings;

    KafkaIngestTransport(RequestIngest requests, KafkaTemplate<String, byte[]> producer,
            KafkaListenerEndpointRegistry listeners, JsonMapper json, KafkaIngestSettings settings) {
        this.requests = requests;
        this.producer = producer;
        this.listeners = listeners;
        this.json = json;
        this.settings = settings;
    }

    @Override
    public Result ingest(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix,
            String recordPath) {
        Checked checked = requests.check(tenantId, candidates, itemPrefix, recordPath);
        List<Item> items = checked.toStore(candidates);
        Set<String> stored = requests.alreadyStored(tenantId, checked.firstIndexByRequestId().keySet());
        Map<String, Outcome> status = new HashMap<>(items.size() * 2);
        List<CompletableFuture<?>> sends = new ArrayList<>(items.size());
        for (Item item : items) {
            if (stored.contains(item.requestId())) {
                status.put(item.requestId(), Outcome.DUPLICATE);
                continue;
            }
            TelemetryMessage message = TelemetryMessage.of(tenantId, source, checked.receivedAt(), item);
            try {
                sends.add(producer.send(new ProducerRecord<>(settings.topic(), message.key(),
                        json.writeValueAsBytes(message))));
            } catch (RuntimeException sendFailed) {
                // the producer refused the record before sending it (no metadata within max.block.ms, buffer
                // full, …): the batch is not acknowledged, as when an acknowledgement does not come
                throw unavailable("the telemetry log did not acknowledge the batch (" + sendFailed.getMessage()
                        + ")");
            }
            status.put(item.requestId(), Outcome.ACCEPTED);
        }
        awaitAcknowledgements(sends);
        return checked.complete(candidates, status);
    }

    private void awaitAcknowledgements(List<CompletableFuture<?>> sends) {
        try {
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                    .get(settings.acknowledgementTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while waiting for the telemetry log");
        } catch (ExecutionException | TimeoutException e) {
            throw unavailable("the telemetry log did not acknowledge the batch ("
                    + (e.getCause() != null ? e.getCause().getMessage() : "timeout") + ")");
        }
    }

    private static ApiProblem unavailable(String detail) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "Telemetry log unavailable", detail
                + "; nothing of this batch is acknowledged: retry it (records already stored count once)", "body");
    }

    @Override
    public Status status() {
        MessageListenerContainer container = listeners.getListenerContainer(KafkaIngestConsumer.LISTENER_ID);
        List<String> partitions = new ArrayList<>();
        if (container != null && container.getAssignedPartitions() != null) {
            for (TopicPartition p : container.getAssignedPartitions()) {
                partitions.add(p.topic() + "-" + p.partition());
            }
        }
        partitions.sort(java.util.Comparator.comparingInt(p -> Integer.parseInt(p.substring(p.lastIndexOf('-') + 1))));
        return new Status("kafka", settings.topic(), settings.group(), settings.instance(), List.copyOf(partitions));
    }
}
