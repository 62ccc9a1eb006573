package org.carbonledger.telemetry;

import java.util.List;
import java.util.UUID;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Result;

/**
 * How a batch of request records travels from the API to PostgreSQL. The REST, NDJSON, CloudEvents and OTLP
 * endpoints call this and nothing else; {@code carbonledger.ingest.transport} chooses the implementation:
 * {@code embedded} (default: checked and stored in the calling thread's transaction) or {@code kafka} (checked,
 * then produced to a partitioned topic and stored by consumers). In both, an item answered {@code ACCEPTED} or
 * {@code DUPLICATE} is durable and is stored exactly once per (tenant, requestId), with its emission record.
 */
public interface IngestTransport {

    /**
     * Checks every candidate and makes the valid ones durable. {@code itemPrefix} names an item in field paths (e.g.
     * {@code requests} gives {@code requests[3].endedAt}); {@code recordPath} (e.g. {@code data}) is put before the
     * fields of rejections of the record inside an item.
     */
    Result ingest(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix, String recordPath);

    default Result ingest(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix) {
        return ingest(tenantId, candidates, source, itemPrefix, "");
    }

    /** What an operator sees of the transport of this instance. */
    Status status();

    /**
     * {@code transport} is {@code embedded} or {@code kafka}; for Kafka, the topic, the consumer group and the
     * partitions this instance's consumer holds now ("topic-partition").
     */
    record Status(String transport, String topic, String consumerGroup, String instance,
            List<String> assignedPartitions) {
    }
}
