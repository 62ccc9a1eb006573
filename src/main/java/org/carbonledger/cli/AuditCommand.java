package org.carbonledger.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.carbonledger.receipts.Audit;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Audits the database: starts the platform without its web server, re-derives every total and checks the
 * conservation invariants. Exit 0 when every invariant holds, 1 when one is broken, 2 on a usage error.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Re-derive every total from the database and check the conservation invariants and the "
                + "transparency log (embedded PostgreSQL under --data-dir unless CARBONLEDGER_DB_URL is set).")
class AuditCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "the data directory to audit (default: CARBONLEDGER_DATA_DIR or ./data), e.g. DIR/data "
                    + "after carbonledger demo --out DIR")
    Path dataDir;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        Logging.quiet();
        List<String> properties = new ArrayList<>(List.of("--spring.main.web-application-type=none"));
        if (dataDir != null) {
            if (!Files.isDirectory(dataDir)) {
                out.println("audit: " + dataDir + " is not a directory");
                return 2;
            }
            properties.add("--carbonledger.data-dir=" + dataDir.toAbsolutePath());
        }
        try (ConfigurableApplicationContext context = Launcher.start(properties.toArray(String[]::new))) {
            Audit.Report report = context.getBean(Audit.class).run();
            out.println(report.ok() ? "AUDIT PASSED" : "AUDIT FAILED: " + report.findings().size() + " finding(s)");
            report.checked().forEach((what, count) -> out.printf("  checked %-12s %d%n", what, count));
            report.findings().forEach(f -> out.println("  " + f));
            return report.ok() ? 0 : 1;
        }
    }
}
