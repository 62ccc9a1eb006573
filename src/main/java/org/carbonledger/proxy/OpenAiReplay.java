package org.carbonledger.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A local OpenAI-compatible upstream that replays fixed, OpenAI-shaped responses: the reference the proxy's
 * tests and {@code carbonledger benchmark-proxy} compare against. The request's {@code model} selects the behaviour:
 * {@code slow} (answers after 300 ms, streams with pauses), {@code error-400}, {@code error-503}, {@code cut} (closes
 * the connection after two events), {@code long} (200 events, 20 ms apart); any other model answers at once.
 * {@code "stream": true} streams server-sent events, with a final usage chunk when
 * {@code stream_options.include_usage} is true. A service time given to the constructor delays every answer by it
 * (the benchmark's stand-in for an inference server's compute). The completion id is {@code chatcmpl-<X-Replay-Id>} when the request
 * has that header, so two calls with the same header get byte-identical answers.
 */
public final class OpenAiReplay implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static {
        // headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm holds the body back until
        // the client's delayed ACK (~40 ms). Read once, when the JDK's HTTP server is first used.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }
    private static final byte[] MODELS = """
            {"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1715367049,"owned_by":"system"}]}"""
            .getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openai-replay");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong sequence = new AtomicLong();
    private final java.util.Set<String> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final long serviceMillis;

    public OpenAiReplay() {
        this(java.time.Duration.ZERO);
    }

    /**
     * A replay that answers every call after {@code serviceTime} (a stream: its first event), as an inference
     * server's compute would; the behaviours selected by model add their own pauses.
     */
    public OpenAiReplay(java.time.Duration serviceTime) {
        this.serviceMillis = serviceTime.toMillis();
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    /** How many client connections (distinct client address and port) have sent calls. */
    public int connections() {
        return connections.size();
    }

    private void handle(HttpExchange ex) throws IOException {
        connections.add(String.valueOf(ex.getRemoteAddress()));
        if (serviceMillis > 0) {
            pause(serviceMillis);
        }
        byte[] request;
        try (InputStream in = ex.getRequestBody()) {
            request = in.readAllBytes();
        }
        String path = ex.getRequestURI().getPath();
        if (ex.getRequestMethod().equals("GET") && path.equals("/v1/models")) {
            send(ex, 200, "application/json", MODELS);
            return;
        }
        JsonNode body = request.length == 0 ? JSON.createObjectNode() : JSON.readTree(request);
        String model = body.path("model").asString("gpt-4o-mini");
        boolean stream = body.path("stream").asBoolean(false);
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        String replayId = ex.getRequestHeaders().getFirst("X-Replay-Id");
        String id = "chatcmpl-" + (replayId != null ? replayId
                : Long.toString(System.nanoTime(), 36) + sequence.incrementAndGet());
        ex.getResponseHeaders().set("x-request-id", "req_" + id);
        ex.getResponseHeaders().set("openai-processing-ms", "7");
        switch (model) {
            case "error-400" -> {
                send(ex, 400, "application/json", """
                        {"error":{"message":"Invalid 'messages': empty array.","type":"invalid_request_error","param":"messages","code":"empty_array"}}"""
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "error-503" -> {
                send(ex, 503, "application/json", """
                        {"error":{"message":"The server is overloaded.","type":"server_error","param":null,"code":null}}"""
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "slow" -> pause(300);
            default -> {
            }
        }
        if (path.endsWith("/embeddings")) {
            send(ex, 200, "application/json", ("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                    + "\"embedding\":[0.0023064255,-0.009327292,-0.0028842222]}],\"model\":\"" + model
                    + "\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.endsWith("/responses")) {
            send(ex, 200, "application/json", ("{\"id\":\"resp_" + id + "\",\"object\":\"response\",\"created_at\":"
                    + "1741476542,\"status\":\"completed\",\"model\":\"" + model + "\",\"output\":[{\"type\":\"message\","
                    + "\"id\":\"msg_1\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":"
                    + "\"output_text\",\"text\":\"Hello there.\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":36,"
                    + "\"output_tokens\":87,\"total_tokens\":123}}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!stream) {
            send(ex, 200, "application/json", ("{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":"
                    + "1741569952,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                    + "\"assistant\",\"content\":\"Hello! How can I assist you today?\",\"refusal\":null},"
                    + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,"
                    + "\"completion_tokens\":10,\"total_tokens\":29},\"service_tier\":\"default\"}")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        List<String> words = model.equals("long") ? java.util.Collections.nCopies(200, "word ")
                : List.of("Hello", "! How", " can I", " help?");
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream os = ex.getResponseBody();
        String head = "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\""
                + model + "\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[";
        String usageNull = includeUsage ? ",\"usage\":null" : "";
        event(os, head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                + "\"finish_reason\":null}]" + usageNull + "}");
        for (int i = 0; i < words.size(); i++) {
            if (model.equals("cut") && i == 2) {
                // an upstream dying mid-stream: the connection closes without the terminating chunk — a moment
                // after the last event, so that a client has read the event before it sees the end (the JDK
                // HttpClient drops bytes that arrive together with the end of a broken-off response)
                pause(50);
                throw new IOException("upstream replay cut the stream");
            }
            if (model.equals("slow")) {
                pause(50);
            } else if (model.equals("long")) {
                pause(20);
            }
            event(os, head + "{\"index\":0,\"delta\":{\"content\":\"" + words.get(i) + "\"},\"logprobs\":null,"
                    + "\"finish_reason\":null}]" + usageNull + "}");
        }
        event(os, head + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]" + usageNull
                + "}");
        if (includeUsage) {
            event(os, head + "]," + "\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":" + words.size()
                    + ",\"total_tokens\":" + (17 + words.size()) + "}}");
        }
        os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        os.close();
    }

    private static void event(OutputStream os, String json) throws IOException {
        os.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
