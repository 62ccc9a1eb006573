package org.carbonledger.receipts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit re-derives the totals; one row changed behind a receipt is named. */
class AuditIntegrationTest extends IntegrationTest {

    @Autowired
    Audit audit;

    @Test
    void oneChangedRowBehindAReceiptIsNamedByTheAudit() {
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        newLot(unique("AUD"), 1, 500, 2023);
        Tenant tenant = newTenant(unique("Audit Co"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-02T12:00:00Z"));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(request("audit-" + i, workload, 50_000, 80_000, clock.instant().minusSeconds(30)));
        }
        assertThat(ingest(tenant.key(), batch).status()).isEqualTo(200);
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        clock.advance(Duration.ofMinutes(5));
        api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments", Api.map("reference", unique("p")));

        UUID record = jdbc.sql("""
                select e.id from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = 'audit-2'""").param(tenant.id()).query(UUID.class).single();
        String invoiceNumber = invoice.text("number");

        var before = api.get(OPERATOR_KEY, "/v1/audit");
        assertThat(before.status()).as(before.toString()).isEqualTo(200);
        assertThat(before.body().path("findings").toString()).doesNotContain(record.toString())
                .doesNotContain(invoiceNumber);
        assertThat(before.body().path("checked").path("logLeaves").asLong()).isPositive();

        // the emissions of one billed request are lowered in the database, behind the receipt's back
        jdbc.sql("update emission_records set co2e_grams_location = co2e_grams_low where id = ?").param(record)
                .update();

        Audit.Report after = audit.run();
        assertThat(after.ok()).isFalse();
        List<String> named = after.findings().stream().map(Audit.Finding::toString)
                .filter(f -> f.contains(record.toString()) || f.contains(invoiceNumber)).toList();
        assertThat(named).anySatisfy(f -> assertThat(f).startsWith("invoiced mass: invoice " + invoiceNumber));
        assertThat(named).anySatisfy(f -> assertThat(f).startsWith("receipt matches database: receipt R-"
                + invoiceNumber + ", workload " + workload + " / ").contains("the receipt says 4 requests"));
        assertThat(named).anySatisfy(f -> assertThat(f).contains("log leaves = rows: log leaf ")
                .contains("EMISSION_RECORD " + record).contains("co2eGramsLocationBased was"));
        // the logged entry (and so every signed checkpoint) still holds: the rebuilt root differs
        assertThat(after.findings()).anySatisfy(f -> assertThat(f.check()).isEqualTo("receipt = checkpoint"));

        assertThat(api.get(tenant.key(), "/v1/audit").status()).isEqualTo(403);
    }
}
