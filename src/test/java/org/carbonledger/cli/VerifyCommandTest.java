package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.carbonledger.receipts.CommittedLogFixture;
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
    static CommittedLogFixture log;

    @BeforeAll
    static void signAReceipt() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        log = new CommittedLogFixture(key);
        byte[] pdf = new PadesReceiptSigner(key).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                log.manifest), Instant.parse("2025-02-01T10:00:00Z"));
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
        assertThat(anchored.output()).contains("signer is the given trust certificate")
                .contains("[ok]   pdf/a").contains("[ok]   manifest").contains("[ok]   checkpoint");
    }

    @Test
    void aRequestsInclusionProofVerifiesAgainstTheCommittedCheckpoint() throws Exception {
        Path proof = Files.write(dir.resolve("proof-r2.json"), log.proof("r-2", List.of(1, 4), null));
        Run run = verify(receipt.toString(), "--trust", certificate.toString(), "--request-id", "r-2",
                "--proof", proof.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("[ok]   inclusion   request r-2: 1 emission record version(s) and 1 "
                + "allocation(s) are in the log under the receipt's checkpoint; 1 allocation(s) to this receipt's "
                + "retirements, 3000.891000 g CO2e");
        assertThat(run.output()).contains("from 3 requests");
    }

    @Test
    void aVersion1ReceiptListingEveryRequestStillVerifies() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        byte[] pdf = new PadesReceiptSigner(key).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                log.manifestV1), Instant.parse("2025-02-01T10:00:00Z"));
        Path v1 = Files.write(dir.resolve("receipt-v1.pdf"), pdf);
        Path proof = Files.write(dir.resolve("proof-v1-r2.json"), log.proof("r-2", 1, null));
        Run run = verify(v1.toString(), "--trust", certificate.toString(), "--request-id", "r-2",
                "--proof", proof.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("[ok]   manifest    receipt CR-2025-000042: 3 requests adding up");
    }

    @Test
    void aBreakdownThatDoesNotAddUpToTheTotalsFailsTheManifest() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        var manifest = (tools.jackson.databind.node.ObjectNode) tools.jackson.databind.json.JsonMapper.builder()
                .build().readTree(log.manifest);
        ((tools.jackson.databind.node.ObjectNode) manifest.path("breakdown").get(1))
                .put("co2eGramsMarketBased", new java.math.BigDecimal("566"));
        byte[] pdf = new PadesReceiptSigner(key).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                manifest.toString().getBytes(StandardCharsets.UTF_8)), Instant.parse("2025-02-01T10:00:00Z"));
        Run run = verify(Files.write(dir.resolve("unbalanced.pdf"), pdf).toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).contains("[FAIL] manifest    the breakdown adds up to 4566.891 for "
                + "co2eGramsMarketBased but the total says 4567.891");
    }

    @Test
    void aChangedEntryInTheProofFails() throws Exception {
        String forged = log.entries.get(1).replace("1.000000", "0.000001");
        Path proof = Files.write(dir.resolve("proof-forged.json"), log.proof("r-2", 1, forged));
        Run run = verify(receipt.toString(), "--request-id", "r-2", "--proof", proof.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).startsWith("INVALID: leaf 1 does not lead to the checkpoint root");
    }

    @Test
    void anotherRequestsProofOrAnotherTenantsLeafFails() throws Exception {
        Path proof = Files.write(dir.resolve("proof-r1.json"), log.proof("r-1", 0, null));
        Run wrongRequest = verify(receipt.toString(), "--request-id", "r-2", "--proof", proof.toString());
        assertThat(wrongRequest.exit()).isEqualTo(1);
        assertThat(wrongRequest.output()).contains("leaf 0 is about request r-1, not r-2");
        Path foreign = Files.write(dir.resolve("proof-foreign.json"), log.proof("r-2", 3, null));
        Run otherTenant = verify(receipt.toString(), "--request-id", "r-2", "--proof", foreign.toString());
        assertThat(otherTenant.exit()).isEqualTo(1);
        assertThat(otherTenant.output()).contains("leaf 3 belongs to another tenant");
    }

    @Test
    void aReceiptWithoutACheckpointFails() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        byte[] pdf = new PadesReceiptSigner(key).sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                ReceiptFixtures.manifest()), Instant.parse("2025-02-01T10:00:00Z"));
        Run run = verify(Files.write(dir.resolve("uncommitted.pdf"), pdf).toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).contains("[FAIL] checkpoint  the manifest commits to no readable log checkpoint");
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
