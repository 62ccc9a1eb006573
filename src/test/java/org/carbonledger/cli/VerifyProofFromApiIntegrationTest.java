package org.carbonledger.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.receipts.pdf.ReceiptManifestReader;
import org.carbonledger.receipts.signing.SigningKey;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

/** An issued receipt and a proof fetched from {@code GET /v1/log/proofs/inclusion}, checked by {@code verify}. */
class VerifyProofFromApiIntegrationTest extends IntegrationTest {

    @Autowired
    SigningKey signingKey;

    @TempDir
    Path dir;

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
    void aProofFromTheApiVerifiesAgainstTheIssuedReceiptAndAChangedOneDoesNot() throws Exception {
        clock.set(Instant.parse("2027-02-01T00:00:00Z"));
        newLot(unique("VFY"), 1, 1000, 2021);
        Tenant tenant = newTenant(unique("Verify Co"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        clock.set(Instant.parse("2027-02-10T12:00:00Z"));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(request("vfy-" + i, workload, 20_000 + i, 30_000, clock.instant().minusSeconds(60)));
        }
        assertThat(ingest(tenant.key(), batch).status()).isEqualTo(200);
        clock.set(Instant.parse("2027-03-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2027-02"));
        assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
        clock.advance(Duration.ofHours(1));
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments",
                Api.map("reference", unique("wire")));
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);
        String receiptId = api.get(tenant.key(), "/v1/receipts").body().path("items").get(0).path("id").asString();
        byte[] pdf = api.get(tenant.key(), "/v1/receipts/" + receiptId + "/pdf").bytes();
        JsonNode manifest = Api.JSON.readTree(ReceiptManifestReader.readManifest(pdf));
        long treeSize = manifest.path("logCheckpoint").path("treeSize").asLong();
        assertThat(manifest.path("inclusionProofs").asString())
                .endsWith("/v1/log/proofs/inclusion?treeSize=" + treeSize + "&requestId={requestId}");

        var proof = api.get(tenant.key(), "/v1/log/proofs/inclusion?requestId=vfy-2&treeSize=" + treeSize);
        assertThat(proof.status()).as(proof.toString()).isEqualTo(200);
        Path receipt = Files.write(dir.resolve("receipt.pdf"), pdf);
        Path cert = Files.writeString(dir.resolve("cert.pem"), pem(signingKey.certificate().getEncoded()));
        Path proofFile = Files.write(dir.resolve("proof.json"), proof.bytes());

        Run ok = verify(receipt.toString(), "--trust", cert.toString(), "--request-id", "vfy-2",
                "--proof", proofFile.toString());
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("[ok]   manifest    receipt " + manifest.path("receiptNumber").asString()
                + ": 4 requests in 1 workload/model group(s)")
                .contains("[ok]   inclusion   request vfy-2: 1 emission record version(s) and 1 allocation(s)")
                .contains("1 allocation(s) to this receipt's retirements");

        // the same proof with the record's CO2e changed no longer leads to the receipt's root
        ObjectNode forged = (ObjectNode) Api.JSON.readTree(proof.bytes());
        for (JsonNode leaf : forged.path("leaves")) {
            if (leaf.path("kind").asString().equals("EMISSION_RECORD")) {
                String entry = leaf.path("entry").asString();
                String grams = Api.JSON.readTree(entry).path("co2eGramsLocationBased").asString();
                ((ObjectNode) leaf).put("entry", entry.replace("\"co2eGramsLocationBased\":\"" + grams + "\"",
                        "\"co2eGramsLocationBased\":\"0.000001\""));
            }
        }
        Path forgedFile = Files.write(dir.resolve("forged.json"), forged.toString().getBytes(StandardCharsets.UTF_8));
        Run bad = verify(receipt.toString(), "--trust", cert.toString(), "--request-id", "vfy-2",
                "--proof", forgedFile.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.output()).contains("does not lead to the checkpoint root");
    }

    private static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }
}
