package org.carbonledger.telemetry.web;

import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import java.util.List;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.telemetry.IngestTransport;
import org.carbonledger.telemetry.RequestIngest;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@RestController
class TelemetryController {

    static final String NDJSON = "application/x-ndjson";
    static final String CLOUDEVENT = "application/cloudevents+json";
    static final String CLOUDEVENTS_BATCH = "application/cloudevents-batch+json";

    private final IngestTransport ingest;
    private final CallerContext callers;
    private final JsonMapper json;

    TelemetryController(IngestTransport ingest, CallerContext callers, JsonMapper json) {
        this.ingest = ingest;
        this.callers = callers;
        this.json = json;
    }

    /** The documented JSON batch (the body is decoded record by record, see {@link RequestRecords}). */
    record Batch(List<RequestRecord> requests) {
    }

    /** The documented request record. */
    record RequestRecord(String requestId, UUID workloadId, Long inputTokens, Long outputTokens, Instant startedAt,
            Instant endedAt, String nodeId) {
    }

    /** The documented CloudEvent carrying one request record as {@code data}. */
    record InferenceRequestEvent(String specversion, String id, String source, String type, String datacontenttype,
            String dataschema, String subject, Instant time, RequestRecord data) {
    }

    @PostMapping(path = "/v1/telemetry/requests",
            consumes = {MediaType.APPLICATION_JSON_VALUE, NDJSON, CLOUDEVENT, CLOUDEVENTS_BATCH})
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = Batch.class)),
            @Content(mediaType = NDJSON, schema = @Schema(implementation = RequestRecord.class)),
            @Content(mediaType = CLOUDEVENT, schema = @Schema(implementation = InferenceRequestEvent.class)),
            @Content(mediaType = CLOUDEVENTS_BATCH, array = @ArraySchema(
                    schema = @Schema(implementation = InferenceRequestEvent.class)))})
    @RequiresScope(Scope.INGEST)
    RequestIngest.Result ingest(@RequestHeader(HttpHeaders.CONTENT_TYPE) MediaType contentType,
            @RequestBody byte[] body) {
        if (contentType.isCompatibleWith(MediaType.parseMediaType(NDJSON))) {
            return ingestNdjson(body);
        }
        if (contentType.isCompatibleWith(MediaType.parseMediaType(CLOUDEVENT))) {
            JsonNode event = readJson(body);
            if (!event.isObject()) {
                throw ApiProblem.invalid("body", "a structured CloudEvent is a JSON object");
            }
            return ingest.ingest(callers.requireTenant(), List.of(CloudEvents.decode(event)), "cloudevents",
                    "events", "data");
        }
        if (contentType.isCompatibleWith(MediaType.parseMediaType(CLOUDEVENTS_BATCH))) {
            JsonNode events = readJson(body);
            if (!events.isArray()) {
                throw ApiProblem.invalid("body", "a CloudEvents batch is a JSON array of events");
            }
            List<Candidate> candidates = new ArrayList<>(events.size());
            for (JsonNode event : events) {
                candidates.add(CloudEvents.decode(event));
            }
            return ingest.ingest(callers.requireTenant(), candidates, "cloudevents", "events", "data");
        }
        return ingestJson(body);
    }

    private RequestIngest.Result ingestJson(byte[] body) {
        UUID tenant = callers.requireTenant();
        JsonNode root = readJson(body);
        if (!root.isObject()) {
            throw ApiProblem.invalid("body", "the body is a JSON object with a member requests");
        }
        JsonNode requests = root.get("requests");
        if (requests == null || requests.isNull()) {
            throw ApiProblem.invalid("requests", "requests is required");
        }
        if (!requests.isArray()) {
            throw ApiProblem.invalid("requests", "requests must be an array of request records");
        }
        List<Candidate> candidates = new ArrayList<>(requests.size());
        for (JsonNode item : requests) {
            candidates.add(RequestRecords.decode(item));
        }
        return ingest.ingest(tenant, candidates, "rest", "requests");
    }

    private RequestIngest.Result ingestNdjson(@RequestBody byte[] body) {
        UUID tenant = callers.requireTenant();
        List<Candidate> candidates = new ArrayList<>();
        int start = 0;
        int length = body.length;
        while (start < length) {
            int end = start;
            while (end < length && body[end] != '\n') {
                end++;
            }
            int lineEnd = end > start && body[end - 1] == '\r' ? end - 1 : end;
            if (candidates.size() == RequestIngest.MAX_BATCH) {
                throw ApiProblem.invalid("requests", "an NDJSON body holds at most " + RequestIngest.MAX_BATCH
                        + " records");
            }
            candidates.add(line(body, start, lineEnd));
            start = end + 1;
        }
        return ingest.ingest(tenant, candidates, "ndjson", "requests");
    }

    private Candidate line(byte[] body, int from, int to) {
        if (to == from) {
            return Candidate.rejected("", "empty line");
        }
        JsonNode node;
        try {
            node = json.readTree(new String(body, from, to - from, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            return Candidate.rejected("", "malformed JSON: " + firstLine(e.getOriginalMessage()));
        }
        return RequestRecords.decode(node);
    }

    private JsonNode readJson(byte[] body) {
        if (body == null || body.length == 0) {
            throw ApiProblem.invalid("body", "the request body is empty");
        }
        try {
            return json.readTree(body);
        } catch (JacksonException e) {
            throw new ApiProblem(org.springframework.http.HttpStatus.BAD_REQUEST, "Unreadable request body",
                    "malformed JSON: " + firstLine(e.getOriginalMessage()), "body");
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "invalid value";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
