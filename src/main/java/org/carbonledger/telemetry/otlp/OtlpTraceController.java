package org.carbonledger.telemetry.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.telemetry.IngestTransport;
import org.carbonledger.telemetry.RequestIngest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * OTLP/HTTP trace receiver ({@code POST /v1/traces}, binary protobuf or JSON): every GenAI span becomes one metered
 * request; other spans are ignored and counted. Answers the OTLP {@code ExportTraceServiceResponse} in the request's
 * encoding, with a partial success naming the rejected spans.
 */
@RestController
class OtlpTraceController {

    static final String PROTOBUF = "application/x-protobuf";
    static final String WORKLOAD_HEADER = "X-Carbonledger-Workload";
    static final String IGNORED_HEADER = "X-Carbonledger-Spans-Ignored";
    static final int MAX_MESSAGES = 10;

    private final IngestTransport ingest;
    private final CallerContext callers;
    private final JsonMapper json;

    OtlpTraceController(IngestTransport ingest, CallerContext callers, JsonMapper json) {
        this.ingest = ingest;
        this.callers = callers;
        this.json = json;
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.INGEST)
    @PostMapping(path = "/v1/traces", consumes = {PROTOBUF, MediaType.APPLICATION_JSON_VALUE},
            produces = {PROTOBUF, MediaType.APPLICATION_JSON_VALUE})
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
            @Content(mediaType = PROTOBUF, schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(type = "object"))})
    ResponseEntity<byte[]> export(@RequestHeader(HttpHeaders.CONTENT_TYPE) MediaType contentType,
            @RequestHeader(name = WORKLOAD_HEADER, required = false) String workload, @RequestBody byte[] body) {
        UUID tenant = callers.requireTenant();
        boolean protobuf = contentType.isCompatibleWith(MediaType.parseMediaType(PROTOBUF));
        ExportTraceServiceRequest export = protobuf ? parseProtobuf(body) : parseJson(body);
        GenAiSpans.Mapped mapped = GenAiSpans.map(export, workload);
        long rejected = 0;
        List<String> errors = new ArrayList<>();
        if (!mapped.candidates().isEmpty()) {
            RequestIngest.Result result = ingest.ingest(tenant, mapped.candidates(), "otlp", "spans");
            for (RequestIngest.ItemResult item : result.items()) {
                if (item.status() == RequestIngest.Outcome.REJECTED) {
                    rejected++;
                    if (errors.size() < MAX_MESSAGES) {
                        errors.add("span " + mapped.spanIds().get(item.index()) + ": " + item.reason());
                    }
                }
            }
        }
        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (rejected > 0) {
            String message = String.join("; ", errors) + (rejected > errors.size()
                    ? "; and " + (rejected - errors.size()) + " more" : "");
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(rejected)
                    .setErrorMessage(message));
        }
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().header(IGNORED_HEADER, String.valueOf(mapped.ignored()));
        if (protobuf) {
            return ok.contentType(MediaType.parseMediaType(PROTOBUF)).body(response.build().toByteArray());
        }
        try {
            return ok.contentType(MediaType.APPLICATION_JSON)
                    .body(JsonFormat.printer().print(response).getBytes(StandardCharsets.UTF_8));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ExportTraceServiceRequest parseProtobuf(byte[] body) {
        try {
            return ExportTraceServiceRequest.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw unreadable("malformed protobuf ExportTraceServiceRequest: " + e.getMessage());
        }
    }

    /**
     * OTLP/JSON differs from the canonical protobuf JSON mapping in one point: trace and span ids are hex, not base64.
     * They are turned into base64 before the protobuf JSON parser reads the message.
     */
    private ExportTraceServiceRequest parseJson(byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw unreadable("malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (!root.isObject()) {
            throw unreadable("the body is a JSON ExportTraceServiceRequest object");
        }
        for (JsonNode resourceSpans : root.path("resourceSpans")) {
            for (JsonNode scopeSpans : resourceSpans.path("scopeSpans")) {
                for (JsonNode span : scopeSpans.path("spans")) {
                    hexToBase64(span, "traceId");
                    hexToBase64(span, "spanId");
                    hexToBase64(span, "parentSpanId");
                    for (JsonNode link : span.path("links")) {
                        hexToBase64(link, "traceId");
                        hexToBase64(link, "spanId");
                    }
                }
            }
        }
        ExportTraceServiceRequest.Builder builder = ExportTraceServiceRequest.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json.writeValueAsString(root), builder);
        } catch (InvalidProtocolBufferException e) {
            throw unreadable("not an OTLP/JSON ExportTraceServiceRequest: " + e.getMessage());
        }
        return builder.build();
    }

    private static void hexToBase64(JsonNode holder, String field) {
        if (!(holder instanceof ObjectNode object) || !object.path(field).isString()) {
            return;
        }
        String hex = object.path(field).stringValue();
        try {
            object.put(field, Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex)));
        } catch (IllegalArgumentException e) {
            throw unreadable(field + " '" + hex + "' is not hex");
        }
    }

    private static ApiProblem unreadable(String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "Unreadable request body", detail, "body");
    }
}
