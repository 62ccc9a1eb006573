package org.carbonledger.receipts.storage;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real S3-compatible server for tests: Adobe S3Mock, started from its executable jar as a process of its own (it is
 * a Spring Boot 3 application and would clash with this one on a shared classpath). The build copies the jar to
 * {@code target/s3mock/s3mock.jar} and passes its path in {@code CARBONLEDGER_TEST_S3MOCK_JAR}.
 */
final class S3MockServer implements AutoCloseable {

    private final Process process;
    private final Path log;
    final URI endpoint;

    private S3MockServer(Process process, Path log, URI endpoint) {
        this.process = process;
        this.log = log;
        this.endpoint = endpoint;
    }

    static S3MockServer start(Path workDir, String... buckets) throws IOException, InterruptedException {
        String jar = System.getenv("CARBONLEDGER_TEST_S3MOCK_JAR");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("S3Mock jar not found (CARBONLEDGER_TEST_S3MOCK_JAR=" + jar
                    + "); run the tests through ./mvnw, which copies it to target/s3mock/s3mock.jar");
        }
        int http = freePort();
        int https = freePort();
        Path log = workDir.resolve("s3mock.log");
        Process process = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-jar", jar,
                "--com.adobe.testing.s3mock.httpPort=" + http, "--server.port=" + https,
                "--com.adobe.testing.s3mock.store.root=" + workDir.resolve("store"),
                "--com.adobe.testing.s3mock.store.initialBuckets=" + String.join(",", buckets)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3MockServer server = new S3MockServer(process, log, URI.create("http://127.0.0.1:" + http));
        server.awaitReady(Duration.ofMinutes(4));
        return server;
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Mock exited (" + process.exitValue() + "):\n" + tail());
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(endpoint.resolve("/")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        close();
        throw new IllegalStateException("S3Mock did not answer within " + timeout + ":\n" + tail());
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
