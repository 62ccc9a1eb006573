package org.carbonledger.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for the public API, as a tenant or operator would call it. */
public final class Api {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;

    public Api(int port) {
        this.base = "http://localhost:" + port;
    }

    public record Response(int status, JsonNode body, byte[] bytes, java.net.http.HttpHeaders headers) {
        public String text(String field) {
            return body.path(field).asString();
        }

        @Override
        public String toString() {
            return status + " " + (body == null ? "" : body.toString());
        }
    }

    public Response get(String key, String path) {
        return send(key, "GET", path, null, "application/json");
    }

    public Response post(String key, String path, Object body) {
        String json = body instanceof String s ? s : JSON.writeValueAsString(body);
        return send(key, "POST", path, HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    public Response postBytes(String key, String path, byte[] body, String contentType) {
        return send(key, "POST", path, HttpRequest.BodyPublishers.ofByteArray(body), contentType);
    }

    /** A POST of raw bytes with extra request headers. */
    public Response postBytes(String key, String path, byte[] body, String contentType, Map<String, String> headers) {
        return send(key, "POST", path, HttpRequest.BodyPublishers.ofByteArray(body), contentType, headers);
    }

    public Response send(String key, String method, String path, HttpRequest.BodyPublisher body, String contentType) {
        return send(key, method, path, body, contentType, Map.of());
    }

    public Response send(String key, String method, String path, HttpRequest.BodyPublisher body, String contentType,
            Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        headers.forEach(request::header);
        if (body != null) {
            request.header("Content-Type", contentType);
        }
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String type = response.headers().firstValue("Content-Type").orElse("");
            JsonNode json = type.contains("json") && response.body().length > 0
                    ? JSON.readTree(response.body()) : null;
            return new Response(response.statusCode(), json, response.body(), response.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Map<String, Object> map(Object... keyValues) {
        var map = new java.util.LinkedHashMap<String, Object>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
