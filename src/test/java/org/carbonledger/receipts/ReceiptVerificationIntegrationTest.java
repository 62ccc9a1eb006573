package org.carbonledger.receipts;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /v1/receipts/verify}: a verdict per check, and a clear answer (never a 500) for bad input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReceiptVerificationIntegrationTest extends IntegrationTest {

    byte[] receipt;

    @BeforeAll
    void issueAReceipt() {
        api = new Api(port);
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        newLot(unique("VER"), 1, 100, 2021);
        Tenant tenant = newTenant(unique("Verify Co"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-8B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-05T12:00:00Z"));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            batch.add(request("verify-" + i, workload, 5_000, 7_000, clock.instant().minusSeconds(30)));
        }
        assertThat(ingest(tenant.key(), batch).status()).isEqualTo(200);
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        clock.advance(Duration.ofMinutes(5));
        api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments", Api.map("reference", unique("p")));
        String id = api.get(tenant.key(), "/v1/receipts").body().path("items").get(0).path("id").asString();
        receipt = api.get(tenant.key(), "/v1/receipts/" + id + "/pdf").bytes();
    }

    private JsonNode verify(byte[] body) {
        var response = api.postBytes(null, "/v1/receipts/verify", body, "application/pdf");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.body();
    }

    private static Map<String, JsonNode> verdicts(JsonNode body) {
        Map<String, JsonNode> byCheck = new java.util.LinkedHashMap<>();
        body.path("verdicts").forEach(v -> byCheck.put(v.path("check").asString(), v));
        return byCheck;
    }

    @Test
    void aGenuineReceiptPassesEveryCheck() {
        JsonNode body = verify(receipt);
        assertThat(body.path("valid").asBoolean()).as(body.toString()).isTrue();
        Map<String, JsonNode> v = verdicts(body);
        assertThat(v.keySet()).containsExactly("signature", "pdf/a", "manifest", "checkpoint");
        assertThat(v.values()).allMatch(x -> x.path("passed").asBoolean());
        assertThat(v.get("pdf/a").path("detail").asString()).isEqualTo("PDF/A-3b compliant (veraPDF)");
        assertThat(v.get("checkpoint").path("detail").asString()).startsWith("tree size ");
    }

    @Test
    void oneChangedByteFailsTheSignature() {
        byte[] tampered = receipt.clone();
        tampered[tampered.length / 2] ^= 0x01;
        JsonNode body = verify(tampered);
        assertThat(body.path("valid").asBoolean()).isFalse();
        assertThat(verdicts(body).get("signature").path("passed").asBoolean()).isFalse();
        assertThat(verdicts(body).get("checkpoint").path("detail").asString())
                .isEqualTo("not checked: the signature is not valid");
    }

    @Test
    void notAPdfIsAVerdict() {
        JsonNode body = verify("hello, this is not a receipt".getBytes());
        assertThat(body.path("valid").asBoolean()).isFalse();
        assertThat(body.path("reason").asString()).isEqualTo("not a PDF: missing %PDF- header");
        assertThat(verdicts(body).get("pdf/a").path("passed").asBoolean()).isFalse();
    }

    @Test
    void anUnsignedPdfIsAVerdict() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            doc.save(out);
        }
        JsonNode body = verify(out.toByteArray());
        assertThat(body.path("valid").asBoolean()).isFalse();
        assertThat(body.path("reason").asString()).isEqualTo("no signature found");
    }

    @Test
    void aTruncatedReceiptIsAVerdict() {
        byte[] truncated = java.util.Arrays.copyOf(receipt, receipt.length / 3);
        JsonNode body = verify(truncated);
        assertThat(body.path("valid").asBoolean()).isFalse();
        assertThat(verdicts(body).get("signature").path("passed").asBoolean()).isFalse();
    }

    @Test
    void aHugeBodyIsABadRequestNamingTheBody() {
        byte[] huge = new byte[20 * 1024 * 1024 + 1];
        System.arraycopy(receipt, 0, huge, 0, receipt.length);
        var response = api.postBytes(null, "/v1/receipts/verify", huge, "application/pdf");
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.body().path("field").asString()).isEqualTo("body");
    }
}
