package org.carbonledger.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An asynchronous, batching, retrying client for the carbonledger ingest API. {@link #submit} puts a record into a
 * bounded buffer and returns at once; one sender thread sends batches of up to {@code batchSize} records when a
 * batch is full or {@code flushInterval} has passed, and reports every record's {@link Outcome} to the listener.
 * Network errors, {@code 408}, {@code 429} and {@code 5xx} are retried with exponential backoff and jitter (honouring
 * {@code Retry-After}) up to {@code maxAttempts}; the server counts each {@code requestId} once, so a retried batch
 * is never double counted. Other answers fail the batch without retry. When the buffer is full the
 * {@link OverflowPolicy} decides. Thread-safe; no dependency beyond the JDK and Jackson.
 */
public final class CarbonLedgerClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BATCH = 1000;

    private final URI endpoint;
    private final String apiKey;
    private final int batchSize;
    private final Duration flushInterval;
    private final OverflowPolicy overflow;
    private final Duration blockTimeout;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Consumer<Outcome> listener;
    private final HttpClient http;
    private final LinkedBlockingDeque<Object> buffer;
    private final Thread sender;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean closed;

    private CarbonLedgerClient(Builder b) {
        this.endpoint = URI.create(stripSlash(b.baseUrl) + "/v1/telemetry/requests");
        this.apiKey = b.apiKey;
        this.batchSize = b.batchSize;
        this.flushInterval = b.flushInterval;
        this.overflow = b.overflow;
        this.blockTimeout = b.blockTimeout;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.listener = b.listener;
        this.http = HttpClient.newBuilder().connectTimeout(b.requestTimeout).build();
        this.requestTimeout = b.requestTimeout;
        this.buffer = new LinkedBlockingDeque<>(b.bufferCapacity);
        this.sender = new Thread(this::run, "carbonledger-client-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    private final Duration requestTimeout;

    public static Builder builder(String baseUrl, String apiKey) {
        return new Builder(baseUrl, apiKey);
    }

    /**
     * Buffers a record for sending. Never blocks unless the policy is {@link OverflowPolicy#BLOCK}. Returns false
     * when the record was not taken (buffer full under {@code REJECT} or after waiting under {@code BLOCK}, or the
     * client is closed).
     */
    public boolean submit(RequestRecord record) {
        Objects.requireNonNull(record, "record");
        if (closed) {
            return false;
        }
        switch (overflow) {
            case REJECT:
                return buffer.offer(record);
            case BLOCK:
                try {
                    return buffer.offer(record, blockTimeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            case DROP_OLDEST:
            default:
                while (!buffer.offer(record)) {
                    Object oldest = buffer.pollFirst();
                    if (oldest instanceof RequestRecord dropped) {
                        listener.accept(new Outcome(dropped, Outcome.Status.DROPPED, null, "buffer full"));
                    } else if (oldest instanceof CompletableFuture<?> marker) {
                        buffer.offerFirst(marker);
                        return false;
                    }
                }
                return true;
        }
    }

    /** Records waiting in the buffer. */
    public int buffered() {
        return buffer.size();
    }

    /** Records delivered (answered by the server with a per-item outcome). */
    public long delivered() {
        return sent.get();
    }

    /** Completes when every record submitted before this call has an outcome. */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            buffer.putLast(done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(e);
        }
        return done;
    }

    /** Stops taking records, sends what is buffered (waiting up to {@code timeout}) and stops the sender. */
    public void close(Duration timeout) {
        closed = true;
        try {
            flush().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // what is left is reported as FAILED below
        }
        sender.interrupt();
        try {
            sender.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Object left; (left = buffer.poll()) != null; ) {
            if (left instanceof RequestRecord r) {
                listener.accept(new Outcome(r, Outcome.Status.FAILED, null, "client closed before sending"));
            } else if (left instanceof CompletableFuture<?> f) {
                f.complete(null);
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        List<CompletableFuture<?>> markers = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                long deadline = System.nanoTime() + flushInterval.toNanos();
                while (batch.size() < batchSize && markers.isEmpty()) {
                    long wait = deadline - System.nanoTime();
                    Object item = wait > 0 ? buffer.poll(wait, TimeUnit.NANOSECONDS) : buffer.poll();
                    if (item == null) {
                        if (wait <= 0 || !batch.isEmpty()) {
                            break;
                        }
                        continue;
                    }
                    if (item instanceof RequestRecord r) {
                        batch.add(r);
                    } else {
                        markers.add((CompletableFuture<?>) item);
                    }
                }
                if (!batch.isEmpty()) {
                    send(List.copyOf(batch));
                    batch.clear();
                }
                for (CompletableFuture<?> m : markers) {
                    m.complete(null);
                }
                markers.clear();
            } catch (InterruptedException e) {
                for (RequestRecord r : batch) {
                    listener.accept(new Outcome(r, Outcome.Status.FAILED, null, "client closed while sending"));
                }
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void send(List<RequestRecord> batch) throws InterruptedException {
        byte[] body = body(batch);
        String lastError = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            Duration wait = null;
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(endpoint).timeout(requestTimeout)
                        .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                int status = r.statusCode();
                if (status == 200) {
                    report(batch, JSON.readTree(r.body()));
                    return;
                }
                lastError = "HTTP " + status + problemDetail(r.body());
                if (status != 408 && status != 429 && status < 500) {
                    break;
                }
                wait = r.headers().firstValue("Retry-After").flatMap(CarbonLedgerClient::seconds).orElse(null);
            } catch (IOException e) {
                lastError = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (attempt < maxAttempts) {
                Thread.sleep((wait != null ? wait : backoff(attempt)).toMillis());
            }
        }
        for (RequestRecord r : batch) {
            listener.accept(new Outcome(r, Outcome.Status.FAILED, null, lastError));
        }
    }

    private Duration backoff(int attempt) {
        long base = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(20, attempt - 1));
        return Duration.ofMillis(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
    }

    private void report(List<RequestRecord> batch, JsonNode answer) {
        sent.addAndGet(batch.size());
        for (JsonNode item : answer.path("items")) {
            int index = item.path("index").asInt(-1);
            if (index < 0 || index >= batch.size()) {
                continue;
            }
            Outcome.Status status = Outcome.Status.valueOf(item.path("status").asText("REJECTED"));
            listener.accept(new Outcome(batch.get(index), status, text(item.get("field")), text(item.get("reason"))));
        }
    }

    private static byte[] body(List<RequestRecord> batch) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode requests = root.putArray("requests");
        for (RequestRecord r : batch) {
            requests.addObject().put("requestId", r.requestId()).put("workloadId", r.workloadId().toString())
                    .put("inputTokens", r.inputTokens()).put("outputTokens", r.outputTokens())
                    .put("startedAt", r.startedAt().toString()).put("endedAt", r.endedAt().toString());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String problemDetail(byte[] body) {
        try {
            JsonNode problem = JSON.readTree(body);
            String detail = text(problem.get("detail"));
            return detail == null ? "" : ": " + detail;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static java.util.Optional<Duration> seconds(String retryAfter) {
        try {
            return java.util.Optional.of(Duration.ofSeconds(Long.parseLong(retryAfter.trim())));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** Settings; every one has a default. */
    public static final class Builder {
        private final String baseUrl;
        private final String apiKey;
        private int batchSize = 500;
        private Duration flushInterval = Duration.ofSeconds(1);
        private int bufferCapacity = 10_000;
        private OverflowPolicy overflow = OverflowPolicy.REJECT;
        private Duration blockTimeout = Duration.ofMillis(100);
        private int maxAttempts = 8;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Consumer<Outcome> listener = o -> { };

        private Builder(String baseUrl, String apiKey) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        }

        /** Records per request, 1 to 1000 (the server's limit); default 500. */
        public Builder batchSize(int n) {
            if (n < 1 || n > MAX_BATCH) {
                throw new IllegalArgumentException("batchSize must be between 1 and " + MAX_BATCH + ", got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** Longest a record waits for its batch to fill; default 1 s. */
        public Builder flushInterval(Duration d) {
            this.flushInterval = positive(d, "flushInterval");
            return this;
        }

        /** Records the buffer holds; default 10,000. */
        public Builder bufferCapacity(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("bufferCapacity must be positive, got " + n);
            }
            this.bufferCapacity = n;
            return this;
        }

        /** What {@code submit} does when the buffer is full; default {@link OverflowPolicy#REJECT}. */
        public Builder overflow(OverflowPolicy policy) {
            this.overflow = Objects.requireNonNull(policy);
            return this;
        }

        /** How long {@code submit} waits under {@link OverflowPolicy#BLOCK}; default 100 ms. */
        public Builder blockTimeout(Duration d) {
            this.blockTimeout = positive(d, "blockTimeout");
            return this;
        }

        /** Attempts per batch including the first; default 8. */
        public Builder maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /** Backoff before the second attempt (doubling, with jitter, up to {@code max}); default 200 ms, 30 s. */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initial backoff");
            this.maxBackoff = positive(max, "max backoff");
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = positive(d, "requestTimeout");
            return this;
        }

        /** Receives every record's outcome, on the sender thread (keep it quick). */
        public Builder listener(Consumer<Outcome> l) {
            this.listener = Objects.requireNonNull(l);
            return this;
        }

        public CarbonLedgerClient build() {
            return new CarbonLedgerClient(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }
    }
}
