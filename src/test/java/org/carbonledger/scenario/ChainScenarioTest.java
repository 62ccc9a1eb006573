package org.carbonledger.scenario;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.receipts.pdf.ReceiptManifestReader;
import org.carbonledger.receipts.storage.ReceiptStore;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole chain over the public API with the clock moved through a billing month: meter → price → retire → sign,
 * then verify the receipt and trace one request back through every link.
 */
class ChainScenarioTest extends IntegrationTest {

    @Autowired
    ReceiptStore receiptStore;

    @Test
    void meterPriceRetireSignVerifyTrace() {
        // October 2026: an operator onboards a tenant, the tenant registers two workloads
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        UUID lot = newLot(unique("VCS-981"), 50_000, 50_999, 2019);
        Tenant tenant = newTenant(unique("Inference Co"), 150);
        UUID chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-405B-Instruct", "us-east-1");
        UUID code = newWorkload(tenant.key(), "code", "bigcode/starcoder2-15b", "europe-west4");

        // traffic through the month, each batch sent twice (a client retry): counted once
        List<Map<String, Object>> sent = new ArrayList<>();
        for (int day = 1; day <= 30; day += 3) {
            clock.set(Instant.parse("2026-10-01T12:00:00Z").plus(Duration.ofDays(day - 1)));
            List<Map<String, Object>> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                UUID workload = i % 4 == 0 ? code : chat;
                batch.add(request("req-" + day + "-" + i, workload, 800 + i * 10, 400 + i * 5,
                        clock.instant().minusSeconds(60)));
            }
            var first = ingest(tenant.key(), batch);
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            assertThat(first.body().path("accepted").asInt()).isEqualTo(40);
            assertThat(ingest(tenant.key(), batch).body().path("duplicates").asInt()).isEqualTo(40);
            sent.addAll(batch);
        }

        // November 1st: close October, invoice has one carbon line per workload
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var closed = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        assertThat(closed.status()).as(closed.toString()).isEqualTo(201);
        JsonNode invoice = closed.body();
        assertThat(invoice.path("lines").size()).isEqualTo(2);
        long billedRequests = 0;
        for (JsonNode line : invoice.path("lines")) {
            billedRequests += line.path("requestCount").asLong();
        }
        assertThat(billedRequests).isEqualTo(sent.size());
        BigDecimal invoiceGrams = invoice.path("co2eGrams").decimalValue();
        assertThat(invoiceGrams).isPositive();

        // paid offline: offsets retired and allocated, receipt signed
        clock.advance(Duration.ofHours(2));
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice.path("id").asString() + "/payments",
                Api.map("reference", "bank-transfer-77"));
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);

        var retirements = api.get(tenant.key(), "/v1/offsets/retirements").body().path("items");
        BigDecimal allocated = BigDecimal.ZERO;
        long tonnes = 0;
        for (JsonNode r : retirements) {
            allocated = allocated.add(r.path("gramsAllocated").decimalValue());
            tonnes += r.path("tonnes").asLong();
        }
        assertThat(allocated).isEqualByComparingTo(invoiceGrams);
        assertThat(tonnes).isEqualTo(invoiceGrams.divide(BigDecimal.valueOf(1_000_000), 0,
                java.math.RoundingMode.CEILING).longValue());

        var receipts = api.get(tenant.key(), "/v1/receipts").body().path("items");
        assertThat(receipts.size()).isEqualTo(1);
        String receiptId = receipts.get(0).path("id").asString();
        var download = api.get(tenant.key(), "/v1/receipts/" + receiptId + "/pdf");
        assertThat(download.status()).isEqualTo(200);
        byte[] pdf = download.bytes();
        assertThat(new String(pdf, 0, 5)).isEqualTo("%PDF-");
        // the same bytes are in the receipt store, under the key the receipt row names
        String storageKey = jdbc.sql("select storage_key from receipts where id = ?")
                .param(UUID.fromString(receiptId)).query(String.class).single();
        assertThat(storageKey).isEqualTo("receipts/" + tenant.id() + "/" + receipts.get(0).path("number").asString()
                + ".pdf");
        assertThat(receiptStore.get(storageKey)).isEqualTo(pdf);

        // the receipt verifies; one changed byte does not
        var verified = api.postBytes(null, "/v1/receipts/verify", pdf, "application/pdf");
        assertThat(verified.status()).isEqualTo(200);
        assertThat(verified.body().path("valid").asBoolean()).as(verified.toString()).isTrue();
        assertThat(verified.text("receiptNumber")).isEqualTo(receipts.get(0).path("number").asString());
        byte[] tampered = pdf.clone();
        tampered[tampered.length / 2] ^= 0x01;
        var rejected = api.postBytes(null, "/v1/receipts/verify", tampered, "application/pdf");
        assertThat(rejected.body().path("valid").asBoolean()).isFalse();
        assertThat(rejected.text("reason")).isNotBlank();

        // the manifest inside the receipt carries the totals, the breakdown and the log checkpoint, not the requests
        JsonNode manifest = Api.JSON.readTree(ReceiptManifestReader.readManifest(pdf));
        assertThat(manifest.path("format").asString()).isEqualTo("carbonledger-receipt/2");
        assertThat(manifest.has("requests")).isFalse();
        assertThat(manifest.path("totals").path("requestCount").asLong()).isEqualTo(sent.size());
        long grouped = 0;
        for (JsonNode g : manifest.path("breakdown")) {
            grouped += g.path("requestCount").asLong();
        }
        assertThat(grouped).isEqualTo(sent.size());
        assertThat(manifest.path("totals").path("co2eGramsLocationBased").decimalValue())
                .isEqualByComparingTo(invoiceGrams);
        assertThat(manifest.path("totals").path("co2eGramsUncovered").decimalValue()).isZero();

        // trace one request through every link
        var trace = api.get(tenant.key(), "/v1/trace/requests/req-13-4");
        assertThat(trace.status()).as(trace.toString()).isEqualTo(200);
        JsonNode t = trace.body();
        assertThat(t.path("request").path("workloadId").asString()).isEqualTo(code.toString());
        JsonNode record = t.path("emissionRecords").get(0);
        assertThat(record.path("methodologyVersion").asString()).isEqualTo("estimator-v1");
        assertThat(record.path("factor").path("region").asString()).isEqualTo("europe-west4");
        assertThat(t.path("invoiceLine").path("invoiceId").asString()).isEqualTo(invoice.path("id").asString());
        BigDecimal tracedGrams = BigDecimal.ZERO;
        for (JsonNode a : t.path("allocations")) {
            tracedGrams = tracedGrams.add(a.path("co2eGrams").decimalValue());
            assertThat(a.path("serialRange").asString()).isNotBlank();
        }
        assertThat(tracedGrams).isEqualByComparingTo(record.path("co2eGramsLocationBased").decimalValue());
        assertThat(t.path("receipt").path("id").asString()).isEqualTo(receiptId);
        // the request is proven under the receipt's checkpoint by its inclusion proof
        long treeSize = manifest.path("logCheckpoint").path("treeSize").asLong();
        var proof = api.get(tenant.key(), "/v1/log/proofs/inclusion?requestId=req-13-4&treeSize=" + treeSize);
        assertThat(proof.status()).as(proof.toString()).isEqualTo(200);
        var checked = new org.carbonledger.receipts.signing.ReceiptChecks().check(pdf, null, "req-13-4",
                proof.bytes());
        assertThat(checked.verdicts().get(checked.verdicts().size() - 1).passed()).as(checked.toString()).isTrue();
        assertThat(proof.body().path("leaves").toString()).contains(record.path("id").asString());

        // another tenant sees none of it
        Tenant other = newTenant(unique("other"), 1);
        assertThat(api.get(other.key(), "/v1/trace/requests/req-13-4").status()).isEqualTo(404);
        assertThat(api.get(other.key(), "/v1/receipts/" + receiptId).status()).isEqualTo(404);
        assertThat(api.get(other.key(), "/v1/receipts/" + receiptId + "/pdf").status()).isEqualTo(404);
        assertThat(lot).isNotNull();
    }
}
