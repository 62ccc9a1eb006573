package org.carbonledger.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./carbonledger}: subcommands serve, demo, verify, reconcile, fit-estimator, estimate, audit,
 * benchmark-log, benchmark-receipt, proxy and benchmark-proxy.
 */
@Command(name = "carbonledger", mixinStandardHelpOptions = true, version = "carbonledger 0.1.0",
        description = "Carbon accounting for AI inference: meter, price, retire, sign.",
        subcommands = {Launcher.Serve.class, DemoCommand.class, VerifyCommand.class, ReconcileCommand.class,
                FitEstimatorCommand.class, EstimateCommand.class, AuditCommand.class, BenchmarkCommand.class,
                ReceiptBenchmarkCommand.class, ProxyCommand.class, ProxyBenchmarkCommand.class})
public class Launcher implements Callable<Integer> {

    private static Class<?> application;

    /** Runs a subcommand; {@code applicationClass} is the Spring Boot application the platform commands start. */
    public static int run(Class<?> applicationClass, String[] args) {
        application = applicationClass;
        return new CommandLine(new Launcher()).execute(args);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 2;
    }

    /** Starts a Spring context of the platform with extra properties (e.g. {@code --server.port=0}). */
    static ConfigurableApplicationContext start(String... properties) {
        return start(application, properties);
    }

    /** Starts the given application as the platform commands start theirs (used by the dashboard's browser tests). */
    static ConfigurableApplicationContext start(Class<?> applicationClass, String... properties) {
        return new SpringApplication(applicationClass).run(properties);
    }

    @Command(name = "serve", description = "Run the platform (embedded PostgreSQL under ./data unless "
            + "CARBONLEDGER_DB_URL is set).")
    static class Serve implements Callable<Integer> {

        @CommandLine.Unmatched
        String[] springArgs = new String[0];

        @Override
        public Integer call() throws InterruptedException {
            ConfigurableApplicationContext context = start(springArgs);
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
}
