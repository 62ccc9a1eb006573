package org.carbonledger.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a response on the side, as its bytes pass through unchanged: the completion id, the model, the upstream's
 * usage and, for counting when there is no usage, the amount of generated text. A JSON body is kept up to a cap and
 * parsed at the end; an SSE stream is split into events as it arrives and each {@code data:} payload is parsed.
 */
final class UsageTap {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final boolean sse;
    private final int cap;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private boolean overflow;
    private final StringBuilder eventData = new StringBuilder();

    private String id;
    private String model;
    private Long inputTokens;
    private Long outputTokens;
    private long generatedChars;

    private UsageTap(boolean sse, int cap) {
        this.sse = sse;
        this.cap = cap;
    }

    static UsageTap json(int cap) {
        return new UsageTap(false, cap);
    }

    static UsageTap sse() {
        return new UsageTap(true, Integer.MAX_VALUE);
    }

    void feed(byte[] bytes, int off, int len) {
        if (!sse) {
            if (!overflow && buffer.size() + len <= cap) {
                buffer.write(bytes, off, len);
            } else {
                overflow = true;
            }
            return;
        }
        int start = off;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (bytes[i] == '\n') {
                buffer.write(bytes, start, i - start);
                line(buffer.toString(StandardCharsets.UTF_8));
                buffer.reset();
                start = i + 1;
            }
        }
        buffer.write(bytes, start, end - start);
    }

    /** Call when the body is complete (or cut off): parses what is left. */
    void finish() {
        if (sse) {
            if (buffer.size() > 0) {
                line(buffer.toString(StandardCharsets.UTF_8));
                buffer.reset();
            }
            line("");
            return;
        }
        if (overflow || buffer.size() == 0) {
            return;
        }
        JsonNode body = parse(buffer.toByteArray());
        buffer.reset();
        if (body == null) {
            return;
        }
        id = text(body, "id");
        model = text(body, "model");
        usage(body.get("usage"));
        for (JsonNode choice : body.path("choices")) {
            generatedChars += length(choice.path("message").path("content")) + length(choice.get("text"));
        }
        for (JsonNode output : body.path("output")) {
            for (JsonNode content : output.path("content")) {
                generatedChars += length(content.get("text"));
            }
        }
    }

    private void line(String line) {
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            if (!eventData.isEmpty()) {
                event(eventData.toString());
                eventData.setLength(0);
            }
            return;
        }
        if (line.startsWith("data:")) {
            String data = line.substring(line.startsWith("data: ") ? 6 : 5);
            if (!eventData.isEmpty()) {
                eventData.append('\n');
            }
            eventData.append(data);
        }
    }

    private void event(String data) {
        if (data.equals("[DONE]")) {
            return;
        }
        JsonNode e = parse(data.getBytes(StandardCharsets.UTF_8));
        if (e == null || !e.isObject()) {
            return;
        }
        JsonNode response = e.get("response");
        if (id == null) {
            id = text(e, "id") != null ? text(e, "id") : response == null ? null : text(response, "id");
        }
        if (model == null) {
            model = text(e, "model") != null ? text(e, "model") : response == null ? null : text(response, "model");
        }
        usage(e.get("usage"));
        if (response != null) {
            usage(response.get("usage"));
        }
        for (JsonNode choice : e.path("choices")) {
            generatedChars += length(choice.path("delta").path("content")) + length(choice.get("text"));
        }
        String type = text(e, "type");
        if (type != null && type.endsWith(".delta")) {
            generatedChars += length(e.get("delta"));
        }
    }

    private void usage(JsonNode u) {
        if (u == null || !u.isObject()) {
            return;
        }
        JsonNode in = u.has("prompt_tokens") ? u.get("prompt_tokens") : u.get("input_tokens");
        if (in == null || !in.isIntegralNumber()) {
            return;
        }
        JsonNode out = u.has("completion_tokens") ? u.get("completion_tokens") : u.get("output_tokens");
        inputTokens = in.asLong();
        outputTokens = out != null && out.isIntegralNumber() ? out.asLong() : 0L;
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (JacksonException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isString() ? v.asString() : null;
    }

    private static long length(JsonNode node) {
        return node != null && node.isString() ? node.asString().length() : 0;
    }

    String id() {
        return id;
    }

    String model() {
        return model;
    }

    boolean reported() {
        return inputTokens != null;
    }

    Long inputTokens() {
        return inputTokens;
    }

    Long outputTokens() {
        return outputTokens;
    }

    /** Tokens of the generated text as counted without a usage report: one per four characters, rounded up. */
    long countedOutputTokens() {
        return TokenCount.ofChars(generatedChars);
    }

    /** Counts prompt tokens of a request body the same way: the text of messages, prompt, input, instructions. */
    static long countedInputTokens(byte[] requestBody) {
        JsonNode body = requestBody.length == 0 ? null : parse(requestBody);
        if (body == null || !body.isObject()) {
            return 0;
        }
        long chars = 0;
        for (String field : new String[] {"messages", "prompt", "input", "instructions"}) {
            chars += textChars(body.get(field));
        }
        return TokenCount.ofChars(chars);
    }

    private static long textChars(JsonNode node) {
        if (node == null) {
            return 0;
        }
        if (node.isString()) {
            return node.asString().length();
        }
        long n = 0;
        if (node.isArray()) {
            for (JsonNode item : node) {
                n += textChars(item);
            }
        } else if (node.isObject()) {
            n += textChars(node.get("content")) + textChars(node.get("text"));
        }
        return n;
    }

    /** Reads the {@code model} of a JSON request body, or null. */
    static String requestModel(byte[] requestBody) {
        JsonNode body = requestBody.length == 0 ? null : parse(requestBody);
        return body == null || !body.isObject() ? null : text(body, "model");
    }

    /** The documented counting rule. */
    static final class TokenCount {
        static long ofChars(long chars) {
            return (chars + 3) / 4;
        }
    }
}
