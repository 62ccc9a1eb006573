package org.carbonledger.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A local HTTP server standing in for the Electricity Maps and WattTime APIs: each path answers from a queue of canned
 * responses (the documented shapes, errors, 429s), the last one repeating; every request is recorded.
 */
public final class GridStub implements AutoCloseable {

    public record Canned(int status, String body, Map<String, String> headers) {
    }

    public record Seen(String method, String pathAndQuery, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    private final Map<String, Deque<Canned>> answers = new ConcurrentHashMap<>();
    private final List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());

    public GridStub() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            seen.add(new Seen(exchange.getRequestMethod(), path + (query == null ? "" : "?" + query),
                    Map.copyOf(exchange.getRequestHeaders())));
            Deque<Canned> queue = answers.get(path);
            Canned canned;
            synchronized (this) {
                canned = queue == null || queue.isEmpty() ? new Canned(404, "{\"error\":\"not stubbed\"}", Map.of())
                        : queue.size() > 1 ? queue.poll() : queue.peek();
            }
            byte[] body = canned.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            canned.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(canned.status(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers {@code path} with these responses in turn, then the last one again. */
    public synchronized void answer(String path, Canned... responses) {
        answers.put(path, new ArrayDeque<>(List.of(responses)));
    }

    public static Canned ok(String body) {
        return new Canned(200, body, Map.of());
    }

    public static Canned status(int status, String body) {
        return new Canned(status, body, Map.of());
    }

    public List<Seen> requests(String path) {
        synchronized (seen) {
            return seen.stream().filter(s -> s.pathAndQuery().startsWith(path)).toList();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
