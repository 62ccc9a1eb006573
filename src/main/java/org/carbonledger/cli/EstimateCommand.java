package org.carbonledger.cli;

import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.carbonledger.emissions.EstimatorV1;
import org.carbonledger.emissions.FullBoundary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Stateless estimates of a CSV of request shapes (no platform, no database): input columns {@code model,
 * params_billion, active_params_billion, precision, gpu, num_gpus, avg_batch_size, input_tokens, output_tokens} (any
 * may be empty; other columns are carried through unchanged), output adds the energy and its range for the chosen
 * scope.
 */
@Command(name = "estimate", mixinStandardHelpOptions = true,
        description = "Estimate the energy of request shapes in a CSV (estimator-v1) and write them to another CSV.")
class EstimateCommand implements Callable<Integer> {

    static final List<String> GPU_COLUMNS = List.of("energy_joules", "energy_joules_low", "energy_joules_high",
            "energy_joules_prefill", "energy_joules_decode", "methodology_version", "flags");
    static final List<String> FULL_COLUMNS = List.of("energy_joules_accelerator", "energy_joules_host",
            "energy_joules_idle", "energy_joules_pue_overhead", "embodied_co2e_grams");

    enum Scope { gpu, full }

    @Option(names = "--input", required = true, paramLabel = "in.csv")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "out.csv")
    Path output;

    @Option(names = "--scope", defaultValue = "gpu", description = "gpu (accelerators only) or full (whole "
            + "boundary with PUE; default ${DEFAULT-VALUE})")
    Scope scope;

    @Option(names = "--pue", defaultValue = "1.2", description = "PUE for --scope full (default ${DEFAULT-VALUE})")
    double pue;

    PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        EstimatorV1 estimator = EstimatorV1.standard();
        FullBoundary boundary = FullBoundary.defaults();
        CSVFormat in = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (Reader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8);
                CSVParser parser = in.parse(reader)) {
            List<String> header = new ArrayList<>(parser.getHeaderNames());
            List<String> added = new ArrayList<>(GPU_COLUMNS);
            if (scope == Scope.full) {
                added.addAll(FULL_COLUMNS);
            }
            for (String column : added) {
                if (header.contains(column)) {
                    console.println("input already has the output column " + column);
                    return 2;
                }
            }
            List<List<String>> rows = new ArrayList<>();
            for (CSVRecord record : parser) {
                List<String> row = new ArrayList<>(header.size() + added.size());
                for (int i = 0; i < header.size(); i++) {
                    row.add(i < record.size() ? record.get(i) : ""); // a short row is padded to the header
                }
                try {
                    EstimatorV1.GpuEnergy e = estimator.estimate(inputs(record));
                    if (scope == Scope.gpu) {
                        row.addAll(List.of(j(e.joules()), j(e.lowJoules()), j(e.highJoules()), j(e.prefillJoules()),
                                j(e.decodeJoules()), EstimatorV1.VERSION, String.join(";", e.flags())));
                    } else {
                        FullBoundary.Components c = boundary.of(e, pue);
                        row.addAll(List.of(j(c.totalJoules()), j(c.totalJoulesLow()), j(c.totalJoulesHigh()),
                                j(e.prefillJoules()), j(e.decodeJoules()), EstimatorV1.VERSION,
                                String.join(";", e.flags()), j(c.acceleratorJoules()), j(c.hostJoules()),
                                j(c.idleJoules()), j(c.overheadJoules()), j(c.embodiedGrams())));
                    }
                } catch (EstimatorV1.InvalidInput e) {
                    console.println("line " + record.getRecordNumber() + ": " + e.getMessage());
                    return 2;
                }
                rows.add(row);
            }
            header.addAll(added);
            try (Writer writer = Files.newBufferedWriter(output, StandardCharsets.UTF_8);
                    CSVPrinter printer = CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).get()
                            .print(writer)) {
                printer.printRecords(rows);
            }
            console.println(rows.size() + " estimates written to " + output);
            return 0;
        }
    }

    static EstimatorV1.Inputs inputs(CSVRecord r) {
        return new EstimatorV1.Inputs(text(r, "model"), number(r, "params_billion"),
                number(r, "active_params_billion"), text(r, "precision"), text(r, "gpu"),
                integer(r, "num_gpus"), number(r, "avg_batch_size"), tokens(r, "input_tokens"),
                tokens(r, "output_tokens"));
    }

    private static String text(CSVRecord r, String column) {
        return r.isMapped(column) && r.isSet(column) && !r.get(column).isBlank() ? r.get(column) : null;
    }

    private static Double number(CSVRecord r, String column) {
        String t = text(r, column);
        if (t == null) {
            return null;
        }
        try {
            double v = Double.parseDouble(t);
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new EstimatorV1.InvalidInput(column, "not a number: '" + t + "'");
        }
    }

    private static Integer integer(CSVRecord r, String column) {
        String t = text(r, column);
        try {
            return t == null ? null : Integer.valueOf(t);
        } catch (NumberFormatException e) {
            throw new EstimatorV1.InvalidInput(column, "not an integer: '" + t + "'");
        }
    }

    private static long tokens(CSVRecord r, String column) {
        String t = text(r, column);
        try {
            return t == null ? 0 : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new EstimatorV1.InvalidInput(column, "not an integer: '" + t + "'");
        }
    }

    private static String j(double v) {
        return BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_EVEN).toPlainString();
    }
}
