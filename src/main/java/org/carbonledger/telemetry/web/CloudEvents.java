package org.carbonledger.telemetry.web;

import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Item;
import tools.jackson.databind.JsonNode;

/**
 * Reads a CloudEvents 1.0 event in the JSON event format (structured mode) whose {@code data} is one request record.
 * Parsed with the application's Jackson 3 mapper: the CloudEvents Java SDK's JSON format module is built on Jackson 2.
 */
final class CloudEvents {

    static final String TYPE = "org.carbonledger.inference.request.v1";
    static final String DATA_SCHEMA = "https://carbonledger.org/schemas/inference-request-v1.json";

    private CloudEvents() {
    }

    static Candidate decode(JsonNode event) {
        if (event == null || !event.isObject()) {
            return Candidate.rejected("", "a CloudEvent is a JSON object");
        }
        String id;
        try {
            String specversion = RequestRecords.text(event, "specversion");
            if (!"1.0".equals(specversion)) {
                return Candidate.rejected("specversion", "specversion must be 1.0, got " + specversion);
            }
            id = RequestRecords.text(event, "id");
            String source = RequestRecords.text(event, "source");
            String type = RequestRecords.text(event, "type");
            if (id == null || id.isEmpty()) {
                return Candidate.rejected("id", "id is required");
            }
            if (source == null || source.isEmpty()) {
                return Candidate.rejected("source", "source is required");
            }
            if (!TYPE.equals(type)) {
                return Candidate.rejected("type", "type must be " + TYPE + ", got " + type);
            }
            String contentType = RequestRecords.text(event, "datacontenttype");
            if (contentType != null && !contentType.equals("application/json")) {
                return Candidate.rejected("datacontenttype", "datacontenttype must be application/json, got "
                        + contentType);
            }
            RequestRecords.instant(event, "time");
        } catch (RequestRecords.FieldException e) {
            return Candidate.rejected(e.field, e.getMessage());
        }
        if (event.has("data_base64")) {
            return Candidate.rejected("data_base64", "data is a JSON request record, not data_base64");
        }
        Candidate data = RequestRecords.decode(event.get("data"));
        if (data.rejection() != null) {
            String field = data.rejection().field().isEmpty() ? "data" : "data." + data.rejection().field();
            return Candidate.rejected(field, data.rejection().reason());
        }
        Item item = data.item();
        if (item.requestId() == null) {
            item = new Item(id, item.workloadId(), item.inputTokens(), item.outputTokens(), item.startedAt(),
                    item.endedAt(), null, null, item.nodeId());
        }
        return Candidate.of(item);
    }
}
