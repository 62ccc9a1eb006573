package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code carbonledger estimate --input in.csv --output out.csv [--scope gpu|full]}. */
class EstimateCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    private int run(String... args) {
        EstimateCommand command = new EstimateCommand();
        command.console = new PrintStream(console, true, StandardCharsets.UTF_8);
        return new CommandLine(command).execute(args);
    }

    private List<CSVRecord> read(Path file) throws Exception {
        try (Reader r = Files.newBufferedReader(file)) {
            return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
    }

    @Test
    void gpuScopeCarriesUnknownColumnsThrough() throws Exception {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, """
                ticket,model,params_billion,active_params_billion,precision,gpu,num_gpus,avg_batch_size,input_tokens,output_tokens,note
                A-1,,70,,,NVIDIA H100 80GB HBM3,4,64,500,300,"quoted, with comma"
                A-2,mistralai/Mixtral-8x7B-Instruct-v0.1,,,,B200,,,100,
                """);
        Path out = dir.resolve("out.csv");
        assertThat(run("--input", in.toString(), "--output", out.toString())).as(console.toString()).isZero();
        List<CSVRecord> rows = read(out);
        assertThat(rows).hasSize(2);
        CSVRecord first = rows.get(0);
        assertThat(first.get("ticket")).isEqualTo("A-1");
        assertThat(first.get("note")).isEqualTo("quoted, with comma");
        assertThat(first.get("energy_joules")).isEqualTo("640.658698"); // methodology.md worked example
        assertThat(Double.parseDouble(first.get("energy_joules_low"))).isLessThan(640.658698);
        assertThat(Double.parseDouble(first.get("energy_joules_high"))).isGreaterThan(640.658698);
        assertThat(first.get("methodology_version")).isEqualTo("estimator-v1");
        CSVRecord second = rows.get(1);
        // Mixtral 8x7B: 47 B total from the calibration set, 12.9 B active; prefill only (no output tokens):
        // 100 × 2 × 12.9e9 × 1000 W / (2,250e12 × 0.5) = 2.293333 J on the B200
        assertThat(second.get("energy_joules")).isEqualTo("2.293333");
        assertThat(second.get("flags")).isEqualTo("batch-default;gpu-spec-scaled;num-gpus-default");
        assertThat(first.isMapped("energy_joules_host")).isFalse();
    }

    @Test
    void fullScopeAddsOneColumnPerComponent() throws Exception {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, "params_billion,gpu,num_gpus,avg_batch_size,input_tokens,output_tokens\n"
                + "70,H100,4,64,500,300\n");
        Path out = dir.resolve("out.csv");
        assertThat(run("--input", in.toString(), "--output", out.toString(), "--scope", "full", "--pue", "1.135"))
                .as(console.toString()).isZero();
        CSVRecord row = read(out).get(0);
        assertThat(row.get("energy_joules_accelerator")).isEqualTo("640.658698");
        assertThat(row.get("energy_joules_host")).isEqualTo("276.145991");
        assertThat(row.get("energy_joules_idle")).isEqualTo("110.458396");
        assertThat(row.get("energy_joules_pue_overhead")).isEqualTo("138.680517");
        assertThat(row.get("energy_joules")).isEqualTo("1165.943602");
        assertThat(row.get("embodied_co2e_grams")).isEqualTo("0.020336");
    }

    @Test
    void anInvalidRowFailsNamingLineAndField() throws Exception {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, "params_billion,gpu,output_tokens\n8,H100,10\n8,Z9000,10\n");
        assertThat(run("--input", in.toString(), "--output", dir.resolve("out.csv").toString())).isEqualTo(2);
        assertThat(console.toString()).contains("line 2: gpu: unrecognised GPU 'Z9000'");
        assertThat(dir.resolve("out.csv")).doesNotExist();
    }
}
