package org.carbonledger.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.carbonledger.proxy.ProxyRoutes;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the metering proxy: the platform without its API server (same database, same ingest), plus the proxy on its
 * own port. The route file is checked before anything starts: a bad file, an unknown upstream, a missing route or an
 * upstream that does not accept connections ends the command with exit code 2 and the reason.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run the OpenAI-compatible metering proxy (embedded PostgreSQL under ./data unless "
                + "CARBONLEDGER_DB_URL is set).")
class ProxyCommand implements Callable<Integer> {

    @Option(names = "--routes", required = true, paramLabel = "FILE", description = "the route file (YAML)")
    Path routes;

    @Option(names = "--port", description = "port of the proxy (default ${DEFAULT-VALUE})")
    int port = 8090;

    @Option(names = "--connect-timeout", description = "how long each upstream has to accept a connection at "
            + "start-up (default ${DEFAULT-VALUE})")
    Duration connectTimeout = Duration.ofSeconds(2);

    @CommandLine.Unmatched
    String[] springArgs = new String[0];

    PrintStream err = System.err;

    @Override
    public Integer call() throws InterruptedException {
        try {
            ProxyRoutes.load(routes).checkReachable(connectTimeout);
        } catch (ProxyRoutes.InvalidRoutes e) {
            err.println("proxy: " + e.getMessage());
            return 2;
        }
        List<String> properties = new ArrayList<>(List.of("--spring.main.web-application-type=none",
                "--carbonledger.proxy.routes=" + routes.toAbsolutePath(), "--carbonledger.proxy.port=" + port,
                "--carbonledger.proxy.connect-check-timeout=" + connectTimeout));
        properties.addAll(List.of(springArgs));
        ConfigurableApplicationContext context = Launcher.start(properties.toArray(String[]::new));
        CountDownLatch closed = new CountDownLatch(1);
        context.addApplicationListener(e -> {
            if (e instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        if (context.isActive()) {
            closed.await();
        }
        return 0;
    }
}
