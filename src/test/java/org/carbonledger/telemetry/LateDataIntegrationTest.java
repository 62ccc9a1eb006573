package org.carbonledger.telemetry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A request that arrives after its month was invoiced is stored and billed with the next month closed. */
class LateDataIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID workload;

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("late"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private String close(String period) {
        var response = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", period));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.text("id");
    }

    private String invoiceOf(String requestId) {
        var trace = api.get(tenant.key(), "/v1/trace/requests/" + requestId);
        assertThat(trace.status()).as(trace.toString()).isEqualTo(200);
        var line = trace.body().path("invoiceLine");
        return line.isNull() ? null : line.path("invoiceId").asString();
    }

    @Test
    void requestsOfAClosedMonthAreNeverDroppedAndLandOnTheNextInvoiceOnce() {
        ingest(tenant.key(), List.of(request("on-time", workload, 10, 10, Instant.parse("2026-09-10T00:00:00Z"))));
        String september = close("2026-09");

        var lateJson = ingest(tenant.key(), List.of(request("late-json", workload, 10, 10,
                Instant.parse("2026-09-30T23:59:00Z"))));
        assertThat(lateJson.body().path("accepted").asInt()).isEqualTo(1);
        String ndjson = Api.JSON.writeValueAsString(request("late-ndjson", workload, 10, 10,
                Instant.parse("2026-09-15T12:00:00Z"))) + "\n";
        var lateNdjson = api.postBytes(tenant.key(), "/v1/telemetry/requests",
                ndjson.getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
        assertThat(lateNdjson.body().path("accepted").asInt()).isEqualTo(1);
        assertThat(invoiceOf("on-time")).isEqualTo(september);
        assertThat(invoiceOf("late-json")).as("not added to the closed invoice").isNull();

        clock.set(Instant.parse("2026-11-01T00:00:01Z"));
        String october = close("2026-10");
        assertThat(invoiceOf("late-json")).isEqualTo(october);
        assertThat(invoiceOf("late-ndjson")).isEqualTo(october);

        var replay = ingest(tenant.key(), List.of(request("late-json", workload, 10, 10,
                Instant.parse("2026-09-30T23:59:00Z"))));
        assertThat(replay.body().path("duplicates").asInt()).isEqualTo(1);
        assertThat(jdbc.sql("""
                select count(*) from invoice_line_emissions b join emission_records e on e.id = b.emission_record_id
                 where e.tenant_id = ?""").param(tenant.id()).query(Long.class).single()).isEqualTo(3);
    }
}
