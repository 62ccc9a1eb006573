package org.carbonledger.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.YearMonth;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts the platform on a fresh embedded data directory, drives simulated inference traffic of last month through
 * the public API, closes the period, pays it offline and writes the signed receipt.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole chain on demo traffic and write the signed receipt to DIR/receipt.pdf.")
class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where the receipt is written")
    Path out;

    @Option(names = "--requests", defaultValue = "2000", description = "simulated requests (default ${DEFAULT-VALUE})")
    int requests;

    PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || requests > 200_000) {
            console.println("--requests must be between 1 and 200000");
            return 2;
        }
        Path dataDir = out.resolve("data");
        if (Files.exists(dataDir)) {
            console.println(dataDir + " already exists: the demo runs on a fresh data directory; remove it or "
                    + "choose another --out");
            return 2;
        }
        Files.createDirectories(out);
        String operatorKey = "demo-operator-" + HexFormat.of().formatHex(SecureRandom.getSeed(16));
        console.println("Starting carbonledger on a fresh embedded PostgreSQL in " + dataDir.toAbsolutePath());
        try (ConfigurableApplicationContext context = Launcher.start(
                "--carbonledger.data-dir=" + dataDir.toAbsolutePath(),
                "--carbonledger.db.url=",
                "--carbonledger.signing.keystore=",
                "--carbonledger.admin-key=" + operatorKey,
                "--server.port=0",
                "--logging.level.root=WARN")) {
            int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            YearMonth period = YearMonth.now(Clock.systemUTC()).minusMonths(1);
            DemoTraffic.Result result = new DemoTraffic("http://localhost:" + port, operatorKey, console)
                    .run(period, requests);
            Path receipt = out.resolve("receipt.pdf");
            Files.write(receipt, result.receiptPdf());
            Path certificate = out.resolve("receipt-signing-certificate.pem");
            Files.copy(dataDir.resolve("keys").resolve("receipt-signing.crt"), certificate);
            console.println();
            console.println("Signed receipt:  " + receipt);
            console.println("Signing cert:    " + certificate);
            console.println("Verify offline:  ./carbonledger verify " + receipt + " --trust " + certificate);
        }
        return 0;
    }
}
