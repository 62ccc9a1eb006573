package org.carbonledger.support;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A {@code serve} process of its own (a child JVM on the test classpath) against the tests' PostgreSQL, for tests that
 * kill the application mid-stream and restart it.
 */
public final class ServeProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private ServeProcess() {
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts {@code serve} on {@code port} with the data directory, the tests' database, {@code env} on top and
     * {@code args} after the common ones; its output is appended to {@code log}.
     */
    public static Process start(DataSource dataSource, Path dataDir, int port, Path log, Map<String, String> env,
            String... args) throws IOException, SQLException {
        HikariDataSource db = dataSource.unwrap(HikariDataSource.class);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "org.carbonledger.CarbonLedgerApplication", "serve", "--logging.level.root=WARN",
                "--springdoc.api-docs.enabled=false", "--springdoc.swagger-ui.enabled=false"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = new HashMap<>(Map.of("CARBONLEDGER_DB_URL", db.getJdbcUrl(),
                "CARBONLEDGER_DB_USER", db.getUsername(), "CARBONLEDGER_DB_PASSWORD", db.getPassword(),
                "CARBONLEDGER_DATA_DIR", dataDir.toString(), "CARBONLEDGER_PORT", String.valueOf(port)));
        environment.putAll(env);
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return builder.start();
    }

    /** Waits until the process answers its health endpoint on {@code port} with 200; fails if it exits first. */
    public static void awaitHealthy(Process process, int port, String what) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the " + what + " exited with " + process.exitValue());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the " + what + " did not become ready");
    }
}
