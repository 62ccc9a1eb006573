package org.carbonledger.telemetry.web;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Item;
import tools.jackson.databind.JsonNode;

/**
 * Decodes one request record (the REST, NDJSON and CloudEvents {@code data} shape) from a JSON tree, field by field,
 * so that a wrong type rejects only its record and names the field. Unknown members are ignored.
 */
final class RequestRecords {

    private RequestRecords() {
    }

    static Candidate decode(JsonNode node) {
        if (node == null || !node.isObject()) {
            return Candidate.rejected("", "a request record is a JSON object");
        }
        try {
            return Candidate.of(new Item(text(node, "requestId"), uuid(node, "workloadId"),
                    integer(node, "inputTokens"), integer(node, "outputTokens"), instant(node, "startedAt"),
                    instant(node, "endedAt"), null, null, text(node, "nodeId")));
        } catch (FieldException e) {
            return Candidate.rejected(e.field, e.getMessage());
        }
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw new FieldException(field, field + " must be a string");
        }
        return value.stringValue();
    }

    static UUID uuid(JsonNode node, String field) {
        String text = text(node, field);
        if (text == null) {
            return null;
        }
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw new FieldException(field, "'" + text + "' is not a UUID");
        }
    }

    static Long integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new FieldException(field, field + " must be an integer, got " + value);
        }
        return value.longValue();
    }

    static Instant instant(JsonNode node, String field) {
        String text = text(node, field);
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new FieldException(field, "'" + text + "' is not an RFC 3339 timestamp");
        }
    }

    /** A field of a record that cannot be decoded. */
    static final class FieldException extends RuntimeException {

        final String field;

        FieldException(String field, String reason) {
            super(reason, null, false, false);
            this.field = field;
        }
    }
}
