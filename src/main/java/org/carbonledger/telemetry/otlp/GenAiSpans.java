package org.carbonledger.telemetry.otlp;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Item;

/**
 * Maps the spans of an OTLP trace export that follow the OpenTelemetry GenAI semantic conventions to request records:
 * one span, one request. A span is a GenAI span when it carries {@code gen_ai.operation.name},
 * {@code gen_ai.provider.name} or {@code gen_ai.system}; every other span is ignored and counted.
 */
final class GenAiSpans {

    /** The resource attribute naming the workload a span's requests are metered against. */
    static final String WORKLOAD_ATTRIBUTE = "carbonledger.workload.id";
    /** The resource attribute naming the node (semantic conventions' {@code host.name}): measured mode's node id. */
    static final String NODE_ATTRIBUTE = "host.name";
    static final List<String> MARKERS = List.of("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system");
    static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";

    /** The GenAI spans as candidates (with their ids for error messages) and the number of other spans. */
    record Mapped(List<Candidate> candidates, List<String> spanIds, int ignored) {
    }

    private GenAiSpans() {
    }

    static Mapped map(ExportTraceServiceRequest export, String headerWorkload) {
        List<Candidate> candidates = new ArrayList<>();
        List<String> spanIds = new ArrayList<>();
        int ignored = 0;
        HexFormat hex = HexFormat.of();
        for (ResourceSpans resourceSpans : export.getResourceSpansList()) {
            String resourceWorkload = string(resourceSpans.getResource().getAttributesList(), WORKLOAD_ATTRIBUTE);
            String workload = resourceWorkload != null ? resourceWorkload : headerWorkload;
            String node = string(resourceSpans.getResource().getAttributesList(), NODE_ATTRIBUTE);
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    if (!isGenAi(span.getAttributesList())) {
                        ignored++;
                        continue;
                    }
                    String traceId = hex.formatHex(span.getTraceId().toByteArray());
                    String spanId = hex.formatHex(span.getSpanId().toByteArray());
                    spanIds.add(spanId);
                    candidates.add(candidate(span, traceId, spanId, workload, node));
                }
            }
        }
        return new Mapped(candidates, spanIds, ignored);
    }

    private static Candidate candidate(Span span, String traceId, String spanId, String workload, String node) {
        if (traceId.length() != 32 || traceId.equals("0".repeat(32))) {
            return Candidate.rejected("traceId", "traceId must be 16 bytes and not all zero");
        }
        if (spanId.length() != 16 || spanId.equals("0".repeat(16))) {
            return Candidate.rejected("spanId", "spanId must be 8 bytes and not all zero");
        }
        if (workload == null) {
            return Candidate.rejected("workload", "no workload: set the resource attribute " + WORKLOAD_ATTRIBUTE
                    + " or the header X-Carbonledger-Workload");
        }
        UUID workloadId;
        try {
            workloadId = UUID.fromString(workload);
        } catch (IllegalArgumentException e) {
            return Candidate.rejected("workload", "'" + workload + "' is not a workload id (UUID)");
        }
        Long input;
        Long output;
        try {
            input = integer(span.getAttributesList(), INPUT_TOKENS);
            output = integer(span.getAttributesList(), OUTPUT_TOKENS);
        } catch (IllegalArgumentException e) {
            return Candidate.rejected(e.getMessage(), e.getMessage() + " must be an integer attribute");
        }
        if (input == null) {
            return Candidate.rejected(INPUT_TOKENS, INPUT_TOKENS + " is required");
        }
        if (span.getStartTimeUnixNano() == 0 || span.getEndTimeUnixNano() == 0) {
            return Candidate.rejected("endTimeUnixNano", "the span has no start or end time");
        }
        return Candidate.of(new Item(traceId + "-" + spanId, workloadId, input, output == null ? 0L : output,
                instant(span.getStartTimeUnixNano()), instant(span.getEndTimeUnixNano()), traceId, spanId, node));
    }

    static boolean isGenAi(List<KeyValue> attributes) {
        for (KeyValue kv : attributes) {
            if (MARKERS.contains(kv.getKey())) {
                return true;
            }
        }
        return false;
    }

    private static Instant instant(long unixNanos) {
        return Instant.ofEpochSecond(Long.divideUnsigned(unixNanos, 1_000_000_000L),
                Long.remainderUnsigned(unixNanos, 1_000_000_000L));
    }

    static String string(List<KeyValue> attributes, String key) {
        for (KeyValue kv : attributes) {
            if (kv.getKey().equals(key) && kv.getValue().getValueCase() == AnyValue.ValueCase.STRING_VALUE) {
                return kv.getValue().getStringValue();
            }
        }
        return null;
    }

    /** An integer attribute, or null when absent; a present attribute of another type is an error. */
    static Long integer(List<KeyValue> attributes, String key) {
        for (KeyValue kv : attributes) {
            if (kv.getKey().equals(key)) {
                if (kv.getValue().getValueCase() != AnyValue.ValueCase.INT_VALUE) {
                    throw new IllegalArgumentException(key);
                }
                return kv.getValue().getIntValue();
            }
        }
        return null;
    }
}
