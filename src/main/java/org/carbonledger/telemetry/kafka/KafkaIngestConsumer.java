package org.carbonledger.telemetry.kafka;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.carbonledger.telemetry.RequestIngest;
import org.carbonledger.telemetry.RequestIngest.Item;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stores what the telemetry topic holds, a poll at a time, in one PostgreSQL transaction through the same batched
 * writer as the embedded transport ({@link RequestIngest#store}: {@code on conflict (tenant_id, request_id) do
 * nothing}, emission records for the rows stored for the first time). Offsets are committed after the transaction:
 * a crash in between, a redelivery or a rebalance replays records that then count nothing.
 */
class KafkaIngestConsumer {

    static final String LISTENER_ID = "telemetry-ingest";

    private static final Logger log = LoggerFactory.getLogger(KafkaIngestConsumer.class);

    private final RequestIngest requests;
    private final Workloads workloads;
    private final TransactionTemplate transactions;
    private final JsonMapper json;

    KafkaIngestConsumer(RequestIngest requests, Workloads workloads, TransactionTemplate transactions,
            JsonMapper json) {
        this.requests = requests;
        this.workloads = workloads;
        this.transactions = transactions;
        this.json = json;
    }

    /** The records of one tenant through one source: stored with one statement per poll. */
    private record Group(UUID tenantId, String source) {
    }

    /** A request of the poll and the instant the API accepted it. */
    private record Received(Item item, Instant receivedAt) {
    }

    @KafkaListener(id = LISTENER_ID, topics = "${carbonledger.ingest.kafka.topic}",
            groupId = "${carbonledger.ingest.kafka.group}", containerFactory = KafkaIngestConfiguration.CONTAINER_FACTORY, batch = "true")
    void consume(List<ConsumerRecord<String, byte[]>> records) {
        Map<Group, LinkedHashMap<String, Received>> groups = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TelemetryMessage message;
            try {
                message = json.readValue(record.value(), TelemetryMessage.class);
            } catch (JacksonException e) {
                log.error("skipping undecodable record {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.getOriginalMessage());
                continue;
            }
            // a requestId produced twice (replayed calls) is stored as its first occurrence in the poll
            groups.computeIfAbsent(new Group(message.tenantId(), message.source()), g -> new LinkedHashMap<>())
                    .putIfAbsent(message.requestId(), new Received(message.item(), message.receivedAt()));
        }
        transactions.executeWithoutResult(status -> {
            for (var entry : groups.entrySet()) {
                Group group = entry.getKey();
                Map<String, Received> byRequestId = entry.getValue();
                List<Item> items = new ArrayList<>(byRequestId.size());
                Set<UUID> named = new HashSet<>();
                for (Received r : byRequestId.values()) {
                    items.add(r.item());
                    named.add(r.item().workloadId());
                }
                Map<UUID, Workload> known = workloads.findAll(group.tenantId(), named);
                requests.store(group.tenantId(), items, group.source(),
                        item -> byRequestId.get(item.requestId()).receivedAt(), id -> {
                            Workload workload = known.get(id);
                            if (workload == null) {
                                throw new IllegalStateException("workload " + id + " of tenant " + group.tenantId()
                                        + " does not exist");
                            }
                            return workload;
                        });
            }
        });
    }
}
