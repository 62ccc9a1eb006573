package org.carbonledger.proxy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.carbonledger.proxy.ProxyCall.Outcome;
import org.carbonledger.proxy.ProxyCall.UsageSource;
import org.carbonledger.proxy.ProxyKeys.Holder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's HTTP server (JDK {@code HttpServer}, one thread per call): authenticates the proxy key, picks the
 * route, forwards method, path, query, headers (minus hop-by-hop and the proxy's own) and body to the upstream with
 * the JDK {@code HttpClient}, and copies status, headers and body back as they arrive, flushing after every read so
 * server-sent events reach the client chunk by chunk. The body is read on the side by a {@link UsageTap}; when the
 * response is complete the call is handed to {@link Metering}, which never blocks the response.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    static {
        // headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm holds the body back until
        // the client's delayed ACK (~40 ms). Read once, when the JDK's HTTP server is first used.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** The header carrying the carbonledger key (scope ingest) that names the tenant; never forwarded. */
    public static final String KEY_HEADER = "X-Carbonledger-Key";
    public static final String REQUEST_ID_HEADER = "X-Carbonledger-Request-Id";
    public static final String CO2E_HEADER = "X-Carbonledger-Co2e-Grams";
    static final Set<String> METERED = Set.of("/chat/completions", "/completions", "/embeddings", "/responses");
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and those the HTTP clients set themselves. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", KEY_HEADER.toLowerCase(Locale.ROOT));
    /** Non-streaming bodies are read for usage up to this size (and buffered for header extras up to it). */
    static final int JSON_CAP = 16 * 1024 * 1024;
    private static final int BUFFER = 8192;

    private final ProxyRoutes routes;
    private final ProxyKeys keys;
    private final Metering metering;
    private final CarbonEstimates estimates;
    private final Clock clock;
    private final HttpServer server;
    private final HttpClient client;
    private final ExecutorService threads;

    /** Estimated CO2e for the opt-in extra; empty when it cannot be estimated now. */
    public interface CarbonEstimates {
        Optional<BigDecimal> co2eGrams(UUID tenantId, UUID workloadId, long inputTokens, long outputTokens,
                Instant endedAt);
    }

    ProxyServer(ProxyRoutes routes, ProxyKeys keys, Metering metering, CarbonEstimates estimates, Clock clock,
            String host, int port) {
        this.routes = routes;
        this.keys = keys;
        this.metering = metering;
        this.estimates = estimates;
        this.clock = clock;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory named = r -> {
            Thread t = new Thread(r, "proxy-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.threads = Executors.newCachedThreadPool(named);
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newCachedThreadPool(named)).build();
        try {
            this.server = HttpServer.create(new InetSocketAddress(host, port), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The port the proxy listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        metering.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        long t0 = System.nanoTime();
        Instant startedAt = clock.instant();
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        String path = uri.getRawPath();
        String key = ex.getRequestHeaders().getFirst(KEY_HEADER);
        if (key == null || key.isBlank()) {
            problem(ex, 401, "Unauthorized", "the proxy needs a carbonledger key with scope ingest in "
                    + KEY_HEADER, KEY_HEADER);
            return;
        }
        Holder holder = keys.resolve(key);
        if (holder.invalid()) {
            problem(ex, 401, "Unauthorized", KEY_HEADER + " is not a valid carbonledger key", KEY_HEADER);
            return;
        }
        if (holder.forbidden()) {
            problem(ex, 403, "Forbidden", "the key in " + KEY_HEADER + " lacks scope ingest", KEY_HEADER);
            return;
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        boolean metered = METERED.stream().anyMatch(path::endsWith);
        String requestModel = metered || routes.matchesByModel() ? UsageTap.requestModel(body) : null;
        Headers requestHeaders = ex.getRequestHeaders();
        ProxyRoutes.Route route = routes.route(path, requestHeaders::getFirst, requestModel);

        HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(route.upstreamUrl() + uri.getRawPath()
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> h : requestHeaders.entrySet()) {
            if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                for (String v : h.getValue()) {
                    forward.header(h.getKey(), v);
                }
            }
        }
        Call call = new Call(holder, route, method, path, requestModel, body, startedAt, t0);
        BodyChunks chunks = new BodyChunks();
        HttpResponse<Void> response;
        try {
            response = client.send(forward.build(), info -> chunks);
        } catch (IOException e) {
            call.latency = System.nanoTime() - t0;
            if (metered) { // journalled before the client gets its answer
                metering.submit(call.failed(0, Outcome.FAILED, "upstream did not answer: "
                        + e.getClass().getSimpleName()));
            }
            problem(ex, 502, "Bad Gateway", "upstream " + route.upstream() + " did not answer: "
                    + e.getClass().getSimpleName(), null);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem(ex, 502, "Bad Gateway", "interrupted", null);
            return;
        }
        call.latency = System.nanoTime() - t0;
        int status = response.statusCode();
        Headers out = ex.getResponseHeaders();
        for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
            if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT)) && !h.getKey().startsWith(":")) {
                out.put(h.getKey(), h.getValue());
            }
        }
        String contentType = response.headers().firstValue("content-type").orElse("");
        boolean sse = contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        long length = response.headers().firstValueAsLong("content-length").orElse(-1);
        boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
        UsageTap tap = sse ? UsageTap.sse() : UsageTap.json(JSON_CAP);
        boolean ok = status >= 200 && status < 300;
        boolean extras = metered && ok && !route.extras().isEmpty();
        byte[] buf = new byte[BUFFER];
        if (extras && !sse && length <= JSON_CAP) {
            // the extras go in headers, which precede the body: read the (bounded) body first
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream(length > 0 ? (int) length : BUFFER);
            try {
                for (List<ByteBuffer> bufs = chunks.next(); bufs != null; bufs = chunks.next()) {
                    for (ByteBuffer b : bufs) {
                        while (b.hasRemaining()) {
                            int n = Math.min(buf.length, b.remaining());
                            b.get(buf, 0, n);
                            all.write(buf, 0, n);
                        }
                    }
                }
            } catch (IOException e) {
                metering.submit(call.failed(status, Outcome.UPSTREAM_ABORTED, "upstream closed mid-response"));
                throw e;
            }
            byte[] bytes = all.toByteArray();
            tap.feed(bytes, 0, bytes.length);
            tap.finish();
            ProxyCall done = call.completed(status, tap, sse, Outcome.METERED);
            addExtras(out, route, done);
            metering.submit(done); // journalled before the client gets the response
            ex.sendResponseHeaders(status, noBody || bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            } catch (IOException clientGone) {
                // same request id: storage keeps the record journalled first
                metering.submit(call.completed(status, tap, sse, Outcome.CLIENT_CANCELLED));
            }
            return;
        }
        ex.sendResponseHeaders(status, noBody ? -1 : sse || length < 0 ? 0 : length == 0 ? -1 : length);
        OutputStream os = ex.getResponseBody();
        // A fixed-length response is complete for the client with the flush of its last byte, a chunked one with
        // the close: the record is journalled just before that, so a call whose client got the whole response
        // is never lost to a crash of the proxy.
        boolean fixedLength = !sse && length > 0 && !noBody;
        long written = 0;
        ProxyCall done = null;
        while (true) {
            List<ByteBuffer> bufs;
            try {
                bufs = chunks.next();
            } catch (IOException upstreamGone) {
                if (done != null) {
                    throw upstreamGone; // every announced byte arrived and was journalled; nothing follows
                }
                tap.finish();
                if (metered) {
                    metering.submit(call.failed(status, Outcome.UPSTREAM_ABORTED,
                            "upstream closed the connection mid-response: " + upstreamGone.getMessage()));
                }
                // the client must see the same cut-off response: end the exchange without completing it
                throw upstreamGone;
            }
            if (bufs == null) {
                break;
            }
            try {
                for (ByteBuffer b : bufs) {
                    while (b.hasRemaining()) {
                        int n = Math.min(buf.length, b.remaining());
                        b.get(buf, 0, n);
                        if (metered) {
                            tap.feed(buf, 0, n);
                        }
                        os.write(buf, 0, n);
                        written += n;
                    }
                }
                if (fixedLength && written >= length && done == null && metered) {
                    tap.finish();
                    done = finished(call, status, ok, tap, sse);
                    metering.submit(done);
                }
                os.flush();
            } catch (IOException clientGone) {
                chunks.cancel();
                if (done == null) {
                    tap.finish();
                }
                if (metered && ok) {
                    // after a journalled record, the same request id: storage keeps the first
                    metering.submit(call.completed(status, tap, sse, Outcome.CLIENT_CANCELLED));
                }
                return;
            }
        }
        if (done == null) {
            tap.finish();
            if (metered) {
                done = finished(call, status, ok, tap, sse);
                metering.submit(done);
            }
        }
        try {
            if (extras && sse) {
                os.write(sseExtras(done).getBytes(StandardCharsets.UTF_8));
            }
            os.close();
        } catch (IOException clientGone) {
            if (done != null && ok) {
                // same request id as the journalled record: storage keeps the first
                metering.submit(call.completed(status, tap, sse, Outcome.CLIENT_CANCELLED));
            }
        }
    }

    private static ProxyCall finished(Call call, int status, boolean ok, UsageTap tap, boolean sse) {
        return ok ? call.completed(status, tap, sse, Outcome.METERED)
                : call.failed(status, Outcome.FAILED, "upstream answered " + status);
    }

    private void addExtras(Headers out, ProxyRoutes.Route route, ProxyCall done) {
        if (route.extras().contains(ProxyRoutes.Extra.REQUEST_ID)) {
            out.set(REQUEST_ID_HEADER, done.requestId());
        }
        if (route.extras().contains(ProxyRoutes.Extra.CO2E)) {
            co2e(done).ifPresent(g -> out.set(CO2E_HEADER, g.toPlainString()));
        }
    }

    /** The extras of a stream: an SSE comment after the upstream's last event, which SSE clients ignore. */
    private String sseExtras(ProxyCall done) {
        StringBuilder s = new StringBuilder(": carbonledger");
        ProxyRoutes.Route route = routes.routes().stream().filter(r -> r.name().equals(done.route())).findFirst()
                .orElseThrow();
        if (route.extras().contains(ProxyRoutes.Extra.REQUEST_ID)) {
            s.append(" request-id=").append(done.requestId());
        }
        if (route.extras().contains(ProxyRoutes.Extra.CO2E)) {
            co2e(done).ifPresent(g -> s.append(" co2e-grams=").append(g.toPlainString()));
        }
        return s.append("\n\n").toString();
    }

    private Optional<BigDecimal> co2e(ProxyCall done) {
        if (done.tenantId() == null) {
            return Optional.empty();
        }
        try {
            return estimates.co2eGrams(done.tenantId(), done.workloadId(), done.inputTokens(), done.outputTokens(),
                    done.endedAt());
        } catch (RuntimeException storageDown) {
            log.debug("no CO2e estimate for {}: {}", done.requestId(), storageDown.getMessage());
            return Optional.empty();
        }
    }

    /** An RFC 9457 problem of the proxy itself; {@code field} names the header at fault, or is null. */
    private static void problem(HttpExchange ex, int status, String title, String detail, String field)
            throws IOException {
        String json = "{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                + (field == null ? "" : ",\"field\":\"" + field + "\"") + "}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/problem+json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    /** What is known about a call while it is being forwarded. */
    private final class Call {
        final Holder holder;
        final ProxyRoutes.Route route;
        final String method;
        final String path;
        final String requestModel;
        final byte[] requestBody;
        final Instant startedAt;
        final long t0;
        long latency;

        Call(Holder holder, ProxyRoutes.Route route, String method, String path, String requestModel,
                byte[] requestBody, Instant startedAt, long t0) {
            this.holder = holder;
            this.route = route;
            this.method = method;
            this.path = path;
            this.requestModel = requestModel;
            this.requestBody = requestBody;
            this.startedAt = startedAt;
            this.t0 = t0;
        }

        ProxyCall completed(int status, UsageTap tap, boolean sse, Outcome outcome) {
            boolean reported = tap.reported();
            long in = reported ? tap.inputTokens() : UsageTap.countedInputTokens(requestBody);
            long out = reported ? tap.outputTokens() : tap.countedOutputTokens();
            String id = tap.id() != null && !tap.id().isBlank() && tap.id().length() <= 200 ? tap.id()
                    : "clp-" + UUID.randomUUID();
            return call(id, status, sse, outcome, reported ? UsageSource.REPORTED : UsageSource.COUNTED, in, out,
                    null, tap.model());
        }

        ProxyCall failed(int status, Outcome outcome, String reason) {
            return call("clp-" + UUID.randomUUID(), status, false, outcome, UsageSource.NONE, null, null, reason,
                    null);
        }

        private ProxyCall call(String id, int status, boolean sse, Outcome outcome, UsageSource usage, Long in,
                Long out, String reason, String responseModel) {
            long now = System.nanoTime();
            long latencyMicros = latency / 1000;
            long durationMicros = Math.max(latencyMicros, (now - t0) / 1000);
            Instant endedAt = startedAt.plusNanos(now - t0);
            return new ProxyCall(holder.tenantId(), holder.tenantId() == null ? holder.keyHash() : null, id,
                    route.name(), route.workloadId(), method, path,
                    responseModel != null ? responseModel : requestModel, sse, status, latencyMicros,
                    durationMicros, outcome, usage, in, out, reason, startedAt, endedAt);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
