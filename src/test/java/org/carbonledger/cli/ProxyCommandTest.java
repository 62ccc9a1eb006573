package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code carbonledger proxy} refuses a bad route file before starting anything. */
class ProxyCommandTest {

    @TempDir
    Path dir;

    @Test
    void anUnknownUpstreamEndsTheCommandAtOnceWithExitCodeTwoAndTheReason() throws IOException {
        Path routes = dir.resolve("routes.yaml");
        Files.writeString(routes, """
                upstreams:
                  openai: https://api.openai.com
                routes:
                  - upstream: vllm
                    workload: %s
                """.formatted(UUID.randomUUID()));
        ProxyCommand command = new ProxyCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        command.err = new PrintStream(err, true, StandardCharsets.UTF_8);

        int exit = new CommandLine(command).execute("--routes", routes.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("proxy: route file " + routes
                + ": routes[0].upstream 'vllm' is unknown; defined upstreams: openai" + System.lineSeparator());
    }
}
