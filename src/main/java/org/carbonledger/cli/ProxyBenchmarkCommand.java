package org.carbonledger.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.carbonledger.proxy.OpenAiReplay;
import org.carbonledger.proxy.Proxies;
import org.carbonledger.proxy.ProxyRoutes;
import org.carbonledger.proxy.ProxyServer;
import org.carbonledger.shared.Money;
import org.carbonledger.workload.Tenants;
import org.carbonledger.workload.Workloads;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures what the metering proxy adds to a call, in one run: the same OpenAI-shaped calls to a fast local upstream
 * ({@link OpenAiReplay}) directly and through the proxy — latency alternately, one call at a time (p50 and p99 of
 * each and their difference), and throughput with concurrent clients (calls per second and the ratio) — for
 * non-streaming and streaming completions — twice: against an upstream that does no work (what the proxy costs on
 * this machine's shared cores) and against one that answers after a fixed service time (an inference server's
 * compute: the upstream, not this machine, is then the bottleneck; decision 0074). Both paths use the same client.
 * Metering is on: each proxied call is stored in a fresh embedded database
 * (on the same cores), unless {@code --no-storage} discards the records to isolate the forwarding.
 */
@Command(name = "benchmark-proxy", mixinStandardHelpOptions = true,
        description = "Benchmark the metering proxy against direct calls to local upstreams replaying OpenAI-shaped responses.")
class ProxyBenchmarkCommand implements Callable<Integer> {

    @Option(names = "--calls", description = "calls per mode and path for latency (default ${DEFAULT-VALUE})")
    int calls = 3000;

    @Option(names = "--seconds", description = "seconds per throughput round (default ${DEFAULT-VALUE})")
    int seconds = 4;

    @Option(names = "--concurrency", description = "concurrent clients for throughput (default ${DEFAULT-VALUE})")
    int concurrency = 8;

    @Option(names = "--upstream-service-ms", description = "service time of the second upstream, in ms: it "
            + "answers every call (a stream: its first event) after it, as an inference server's compute would "
            + "(default ${DEFAULT-VALUE})")
    int serviceMillis = 20;

    @Option(names = "--service-calls", description = "calls per mode and path for latency against the upstream "
            + "with service time (default ${DEFAULT-VALUE})")
    int serviceCalls = 400;

    @Option(names = "--service-concurrency", description = "concurrent clients for throughput against the upstream "
            + "with service time (default ${DEFAULT-VALUE})")
    int serviceConcurrency = 32;

    @Option(names = "--no-storage", description = "discard metering records instead of storing them (isolates the "
            + "forwarding from the database work, which shares the machine)")
    boolean noStorage;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "a fresh data directory (default: a temporary "
            + "one)")
    Path dataDir;

    PrintStream out = System.out;

    private static final String CHAT = """
            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}""";
    private static final String STREAM = """
            {"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello!"}]}""";

    @Override
    public Integer call() throws Exception {
        Logging.quiet();
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("carbonledger-benchmark-proxy");
        try (OpenAiReplay upstream = new OpenAiReplay();
                OpenAiReplay serving = new OpenAiReplay(java.time.Duration.ofMillis(serviceMillis));
                ConfigurableApplicationContext context = Launcher.start("--spring.main.web-application-type=none",
                        "--carbonledger.data-dir=" + dir.toAbsolutePath(), "--logging.level.root=WARN")) {
            Tenants.Created tenant = context.getBean(Tenants.class).create("benchmark",
                    Money.of(new BigDecimal("30"), "USD"));
            var workload = context.getBean(Workloads.class).register(tenant.tenant().id(),
                    new Workloads.Registration("bench", "meta-llama/Meta-Llama-3.1-70B-Instruct", null, "H100", 4,
                            "us-east-1", null, null));
            Path routes = dir.resolve("benchmark-routes.yaml");
            Files.writeString(routes, "upstreams:\n  replay:\n    url: " + upstream.url() + "\n  serving:\n"
                    + "    url: " + serving.url() + "\nroutes:\n"
                    + "  - name: serving\n    match: {pathPrefix: /serving}\n    upstream: serving\n    workload: "
                    + workload.id() + "\n"
                    + "  - name: default\n    upstream: replay\n    workload: " + workload.id() + "\n");
            Proxies proxies = context.getBean(Proxies.class);
            Proxies.Settings settings = Proxies.Settings.of(ProxyRoutes.load(routes), 0);
            try (ProxyServer proxy = noStorage ? proxies.start(settings, calls -> { }) : proxies.start(settings)) {
                // one client for both paths: direct and proxied calls differ only in the URL they go to
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String proxyUrl = "http://127.0.0.1:" + proxy.port();
                out.printf("machine: %d cores, %s %s, Java %s; metering records %s%n",
                        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                        System.getProperty("os.arch"), System.getProperty("java.version"),
                        noStorage ? "journalled, then discarded (--no-storage)"
                                : "journalled, then stored in the embedded database");
                out.printf("%nupstream without work (answers at once); %d calls for latency, %d clients for "
                        + "throughput:%n", calls, concurrency);
                table(http, proxy, upstream.url() + "/v1/chat/completions", proxyUrl + "/v1/chat/completions",
                        tenant.apiKey(), calls, concurrency);
                out.printf("%nupstream with a service time of %d ms per call; %d calls for latency, %d clients for "
                        + "throughput:%n", serviceMillis, serviceCalls, serviceConcurrency);
                table(http, proxy, serving.url() + "/serving/v1/chat/completions",
                        proxyUrl + "/serving/v1/chat/completions", tenant.apiKey(), serviceCalls,
                        serviceConcurrency);
                out.printf("calls sent again after the server closed a kept-alive connection: %d%n", RESENT.get());
            }
        }
        return 0;
    }

    /** Latency and throughput, direct and proxied, non-streaming and streaming: one table. */
    private void table(HttpClient http, ProxyServer proxy, String direct, String proxied, String key, int n,
            int clients) throws Exception {
        out.println("| calls | direct p50 | direct p99 | proxy p50 | proxy p99 | added p50 | added p99 | "
                + "direct calls/s | proxy calls/s | ratio |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (String[] mode : new String[][] {{"non-streaming", CHAT}, {"streaming (SSE, usage chunk)", STREAM}}) {
            HttpRequest d = request(direct, mode[1], key);
            HttpRequest p = request(proxied, mode[1], key);
            drained(proxy);
            latency(http, d, p, Math.max(100, n / 3)); // warm-up
            long[][] lat = latency(http, d, p, n);
            double directRps = 0;
            double proxyRps = 0;
            for (int round = 0; round < 2; round++) {
                directRps += throughput(http, d, clients);
                proxyRps += throughput(http, p, clients);
            }
            double[] ds = percentiles(lat[0]);
            double[] ps = percentiles(lat[1]);
            out.printf("| %s | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.0f | %.0f | "
                    + "%.1f %% |%n", mode[0], ds[0], ds[1], ps[0], ps[1], ps[0] - ds[0], ps[1] - ds[1],
                    directRps / 2, proxyRps / 2, 100 * proxyRps / directRps);
            out.flush();
        }
    }

    /**
     * Waits until the records of earlier rounds are stored, so that a measurement does not share the cores with the
     * storing of another's backlog; prints how long that took.
     */
    private void drained(ProxyServer proxy) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
        while (!proxy.meteringIdle() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        double waited = (System.nanoTime() - t0) / 1e9;
        if (waited >= 1) {
            out.printf("(waited %.0f s for the metering records of the earlier rounds to be stored%s)%n", waited,
                    proxy.meteringIdle() ? "" : "; still not all stored");
        }
    }

    private static HttpRequest request(String url, String body, String key) {
        return HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header(ProxyServer.KEY_HEADER, key)
                .header("Authorization", "Bearer sk-benchmark").build();
    }

    /** Alternates direct and proxied calls (order swapped every call); nanoseconds per call, each side. */
    private static long[][] latency(HttpClient http, HttpRequest direct, HttpRequest proxied, int n)
            throws IOException, InterruptedException {
        long[] d = new long[n];
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                d[i] = timed(http, direct);
                p[i] = timed(http, proxied);
            } else {
                p[i] = timed(http, proxied);
                d[i] = timed(http, direct);
            }
        }
        return new long[][] {d, p};
    }

    /** Calls that met a kept-alive connection the server had just closed, and were sent again. */
    private static final java.util.concurrent.atomic.AtomicLong RESENT = new java.util.concurrent.atomic.AtomicLong();

    private static long timed(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException closedKeptAliveConnection) {
            RESENT.incrementAndGet();
            t0 = System.nanoTime();
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        }
        long t = System.nanoTime() - t0;
        if (r.statusCode() != 200 || r.body().length == 0) {
            throw new IllegalStateException("benchmark call answered " + r.statusCode());
        }
        return t;
    }

    /** Calls per second with {@code concurrency} clients calling back to back for {@code seconds}. */
    private double throughput(HttpClient http, HttpRequest request, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<Long>> counts = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            counts.add(pool.submit(() -> {
                long n = 0;
                while (!stop.get()) {
                    timed(http, request);
                    n++;
                }
                return n;
            }));
        }
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        long total = 0;
        for (Future<Long> f : counts) {
            total += f.get();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return total / elapsed;
    }

    /** p50 and p99 in milliseconds. */
    private static double[] percentiles(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return new double[] {s[(int) Math.floor(0.50 * (s.length - 1))] / 1e6,
                s[(int) Math.floor(0.99 * (s.length - 1))] / 1e6};
    }
}
