package org.carbonledger.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.carbonledger.emissions.EstimatorFit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Re-fits methodology estimator-v1 on the calibration set shipped in the repository and writes the coefficients
 * the platform loads, plus the cross-validation report.
 */
@Command(name = "fit-estimator", mixinStandardHelpOptions = true,
        description = "Fit estimator-v1 on the calibration data; write coefficients and the accuracy report.")
class FitEstimatorCommand implements Callable<Integer> {

    @Option(names = "--coefficients", defaultValue = "src/main/resources/methodology/estimator-v1.json",
            description = "coefficients file (default ${DEFAULT-VALUE})")
    Path coefficients;

    @Option(names = "--report", defaultValue = "docs/domain/estimator-v1-report.md",
            description = "accuracy report (default ${DEFAULT-VALUE})")
    Path report;

    PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        EstimatorFit.Result result = new EstimatorFit().fit();
        String json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build()
                .writeValueAsString(result);
        write(coefficients, json + "\n");
        String markdown = EstimatorFit.report(result);
        write(report, markdown);
        console.print(markdown);
        console.println();
        console.println("coefficients written to " + coefficients + ", report to " + report);
        return 0;
    }

    private static void write(Path path, String text) throws java.io.IOException {
        if (path.toAbsolutePath().getParent() != null) {
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        Files.writeString(path, text);
    }
}
