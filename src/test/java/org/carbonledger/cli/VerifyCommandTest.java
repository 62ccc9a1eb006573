package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.carbonledger.receipts.ReceiptFixtures;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.carbonledger.receipts.signing.PadesReceiptSigner;
import org.carbonledger.receipts.signing.ReceiptSigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code carbonledger verify}: offline, exit 0 for a genuine receipt, non-zero with a reason otherwise. */
class VerifyCommandTest {

    @TempDir
    static Path dir;

    static Path receipt;
    static Path certificate;

    @BeforeAll
    static void signAReceipt() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        byte[] pdf = new PadesReceiptSigner(key).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                ReceiptFixtures.manifest()), Instant.parse("2025-02-01T10:00:00Z"));
        receipt = Files.write(dir.resolve("receipt.pdf"), pdf);
        certificate = dir.resolve("keys/receipt-signing.crt");
    }

    private record Run(int exit, String output) {
    }

    private static Run verify(String... args) {
        VerifyCommand command = new VerifyCommand();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        command.out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(command).execute(args);
        return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void genuineReceiptIsValidWithAndWithoutTrustAnchor() {
        Run plain = verify(receipt.toString());
        assertThat(plain.exit()).as(plain.output()).isZero();
        assertThat(plain.output()).startsWith("VALID").contains("not checked against a trust anchor");
        Run anchored = verify(receipt.toString(), "--trust", certificate.toString());
        assertThat(anchored.exit()).as(anchored.output()).isZero();
        assertThat(anchored.output()).contains("signer is the given trust certificate");
    }

    @Test
    void oneFlippedByteIsInvalidWithAReason() throws Exception {
        byte[] bytes = Files.readAllBytes(receipt);
        bytes[bytes.length / 2] ^= 0x01;
        Path tampered = Files.write(dir.resolve("tampered.pdf"), bytes);
        Run run = verify(tampered.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).startsWith("INVALID").contains("modified");
    }

    @Test
    void aReceiptFromAnotherSignerFailsAgainstTheTrustAnchor() throws Exception {
        ReceiptSigningKey other = ReceiptSigningKey.loadOrCreate(dir.resolve("other/key.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        byte[] forged = new PadesReceiptSigner(other).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                ReceiptFixtures.manifest()), Instant.parse("2025-02-01T10:00:00Z"));
        Path file = Files.write(dir.resolve("forged.pdf"), forged);
        Run run = verify(file.toString(), "--trust", certificate.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).startsWith("INVALID");
    }

    @Test
    void missingFileAndUnreadableCertificateAreUsageErrors() throws Exception {
        assertThat(verify(dir.resolve("nope.pdf").toString()).exit()).isEqualTo(2);
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        Run run = verify(receipt.toString(), "--trust", junk.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.output()).contains("cannot read trust certificate");
    }
}
