package org.carbonledger.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's upstream connections: kept alive and reused across calls, and a kept-alive connection the upstream
 * closed is never the cause of a failed call that could have gone through — a request is sent again on a new
 * connection only when that is safe (nothing of it was sent, or its method is idempotent); otherwise the client gets
 * a clear 502 and the call is recorded as failed. And an upstream is read only as fast as the client takes the
 * response: the proxy never buffers a whole response for a slow client.
 */
class ProxyUpstreamConnectionsIntegrationTest extends IntegrationTest {

    private static final String CHAT = """
            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""";

    @Autowired
    Proxies proxies;

    @TempDir
    Path dir;

    HttpClient http;
    OpenAiReplay replay;
    RawUpstream idleClose;
    RawUpstream closeOnSecond;
    BigUpstream big;
    ProxyServer proxy;
    Tenant tenant;

    @BeforeEach
    void start() throws IOException {
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        replay = new OpenAiReplay();
        idleClose = new RawUpstream(false);
        closeOnSecond = new RawUpstream(true);
        big = new BigUpstream();
        tenant = newTenant(unique("proxy-pool"), 30);
        UUID workload = newWorkload(tenant.key(), "pool", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        Path routes = dir.resolve("routes.yaml");
        Files.writeString(routes, """
                upstreams:
                  replay:
                    url: %s
                  idle-close:
                    url: %s
                  close-on-second:
                    url: %s
                  big:
                    url: %s
                routes:
                  - name: big
                    match: {pathPrefix: /big}
                    upstream: big
                    workload: %s
                  - name: idle-close
                    match: {pathPrefix: /idle-close}
                    upstream: idle-close
                    workload: %s
                  - name: close-on-second
                    match: {pathPrefix: /close-on-second}
                    upstream: close-on-second
                    workload: %s
                  - name: default
                    upstream: replay
                    workload: %s
                """.formatted(replay.url(), idleClose.url(), closeOnSecond.url(), big.url(), workload, workload, workload,
                workload));
        proxy = proxies.start(Proxies.Settings.of(ProxyRoutes.load(routes), 0)
                .withSpool(dir.resolve("spool"), Duration.ofMillis(200)));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        replay.close();
        idleClose.close();
        closeOnSecond.close();
        big.close();
    }

    @Test
    void aClientThatStopsReadingStopsTheProxyReadingTheUpstreamInsteadOfBufferingTheResponse() throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            client.getOutputStream().write(("GET /big/v1/files/file-1/content HTTP/1.1\r\nHost: proxy\r\n"
                    + ProxyServer.KEY_HEADER + ": " + tenant.key() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            byte[] first = client.getInputStream().readNBytes(1024);
            assertThat(new String(first, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200 OK");

            // the client reads nothing more: the upstream's writes stall once the socket buffers on the way and
            // the proxy's bounded outbound buffer are full, far below the size of the response
            long last = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (big.written.get() != last && System.nanoTime() < deadline) {
                last = big.written.get();
                Thread.sleep(1000);
            }
            assertThat(big.written.get()).as("bytes the upstream could write").isPositive()
                    .isLessThan(BigUpstream.SIZE / 2);
        }
    }

    @Test
    void sequentialCallsOfOneClientUseOneKeptAliveUpstreamConnection() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(call("POST", "/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        }
        assertThat(replay.connections()).isEqualTo(1);
    }

    @Test
    void aKeptAliveConnectionTheUpstreamClosedWhileIdleIsNotUsedForTheNextCall() throws Exception {
        assertThat(call("POST", "/idle-close/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        idleClose.awaitClosed(1);
        Thread.sleep(300); // the proxy sees the close of the idle connection

        HttpResponse<String> second = call("POST", "/idle-close/v1/chat/completions", CHAT);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(idleClose.connections.get()).isEqualTo(2);
        assertThat(idleClose.requests.get()).isEqualTo(2);
    }

    @Test
    void anIdempotentRequestIsSentAgainOnANewConnectionWhenAKeptAliveOneClosesBeforeAnswering() throws Exception {
        assertThat(call("GET", "/close-on-second/v1/models", null).statusCode()).isEqualTo(200);
        HttpResponse<String> second = call("GET", "/close-on-second/v1/models", null);

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEqualTo(RawUpstream.BODY);
        assertThat(closeOnSecond.connections.get()).isEqualTo(2);
        assertThat(closeOnSecond.requests.get()).isEqualTo(3); // answered, dropped, answered again
    }

    @Test
    void aPostOnAKeptAliveConnectionThatClosesBeforeAnsweringIsA502AndNotSentTwice() throws Exception {
        assertThat(call("POST", "/close-on-second/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        HttpResponse<String> second = call("POST", "/close-on-second/v1/chat/completions", CHAT);

        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(second.body()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Bad Gateway\",\"status\":502,"
                + "\"detail\":\"upstream close-on-second did not answer: it closed the kept-alive connection "
                + "without answering\"}");
        assertThat(closeOnSecond.requests.get()).isEqualTo(2);
        String sql = "select outcome, upstream_status, reason from proxy_calls where tenant_id = ? "
                + "and outcome = 'FAILED'";
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (jdbc.sql(sql).param(tenant.id()).query().listOfRows().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(jdbc.sql(sql).param(tenant.id()).query().singleRow()).containsEntry("upstream_status", 0)
                .containsEntry("reason", "upstream did not answer: it closed the kept-alive connection without "
                        + "answering");
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
                .timeout(Duration.ofSeconds(30)).header(ProxyServer.KEY_HEADER, tenant.key())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An upstream that answers one large fixed-length body, as fast as its client (the proxy) reads it. */
    static final class BigUpstream implements AutoCloseable {
        static final long SIZE = 256L << 20;
        final java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        private final ServerSocket server;

        BigUpstream() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream()) {
                    RawUpstream.readRequest(in);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + SIZE
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] block = new byte[64 * 1024];
                    while (written.get() < SIZE) {
                        out.write(block);
                        written.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    // the proxy closed the connection (its client went away) or the test ended
                }
            }, "big-upstream");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * An HTTP/1.1 upstream on a plain socket that answers every request with the same completion, keeping the
     * connection alive; {@code closeOnSecond} false: it closes each connection right after its first answer (an idle
     * timeout); true: it reads the second request of a connection and closes it without answering (an idle timeout
     * that struck just as the request arrived).
     */
    static final class RawUpstream implements AutoCloseable {
        static final String BODY = "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        private final boolean closeOnSecond;
        private final ServerSocket server;

        RawUpstream(boolean closeOnSecond) throws IOException {
            this.closeOnSecond = closeOnSecond;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        connections.incrementAndGet();
                        Thread t = new Thread(() -> serve(s), "raw-upstream");
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "raw-upstream-accept");
            accept.setDaemon(true);
            accept.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        void awaitClosed(int n) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (closed.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(closed.get()).isGreaterThanOrEqualTo(n);
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                for (int n = 1; ; n++) {
                    if (!readRequest(in)) {
                        return;
                    }
                    requests.incrementAndGet();
                    if (closeOnSecond && n == 2) {
                        return;
                    }
                    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    if (!closeOnSecond) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the peer went away
            } finally {
                closed.incrementAndGet();
            }
        }

        /** Reads one request (headers and a Content-Length body); false at the end of the connection. */
        static boolean readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                byte[] h = head.toByteArray();
                int l = h.length;
                if (l >= 4 && h[l - 4] == '\r' && h[l - 3] == '\n' && h[l - 2] == '\r' && h[l - 1] == '\n') {
                    break;
                }
            }
            if (b < 0) {
                return false;
            }
            int length = 0;
            for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            in.readNBytes(length);
            return true;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
