package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class EmissionsSummaryIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID chat;
    private UUID summariser;

    /** September: two chat requests on the 10th, one of each workload on the 11th, paid; October: one, unbilled. */
    private void meterAndPaySeptember() {
        newLot(unique("SUM"), 1, 1000, 2023);
        tenant = newTenant(unique("summary"), 100);
        chat = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-405B-Instruct", "us-east-1");
        summariser = newWorkload(tenant.key(), "summariser", "meta-llama/Meta-Llama-3.1-8B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-03T00:00:00Z"));
        ingest(tenant.key(), List.of(
                request("s1", chat, 900, 400, Instant.parse("2026-09-10T10:00:00Z")),
                request("s2", chat, 300, 200, Instant.parse("2026-09-10T23:59:59Z")),
                request("s3", chat, 100, 50, Instant.parse("2026-09-11T00:00:00Z")),
                request("s4", summariser, 5000, 100, Instant.parse("2026-09-11T12:00:00Z")),
                request("o1", chat, 700, 300, Instant.parse("2026-10-02T08:00:00Z"))));
        String invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).text("id");
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice + "/payments", Api.map());
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);
    }

    private BigDecimal sum(String column, String... requestIds) {
        return jdbc.sql("select sum(e." + column + ") from emission_records e join inference_requests r"
                        + " on r.id = e.inference_request_id where r.tenant_id = ? and r.request_id = any(?)")
                .params(tenant.id(), requestIds).query(BigDecimal.class).single();
    }

    private static void assertRow(JsonNode row, String day, String workload, long count) {
        assertThat(row.path("periodStart").asString()).isEqualTo(day);
        assertThat(row.path("workloadName").asString()).isEqualTo(workload);
        assertThat(row.path("requestCount").asLong()).isEqualTo(count);
    }

    @Test
    void dailyRowsPerWorkloadWithEnergyBothCo2eBasesAndCoverage() {
        meterAndPaySeptember();
        var response = api.get(tenant.key(), "/v1/emissions/summary?from=2026-09-01&to=2026-10-05");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.text("granularity")).isEqualTo("day");
        JsonNode rows = response.body().path("rows");
        assertThat(rows.size()).isEqualTo(4);
        assertRow(rows.get(0), "2026-09-10", "chat", 2);
        assertRow(rows.get(1), "2026-09-11", "chat", 1);
        assertRow(rows.get(2), "2026-09-11", "summariser", 1);
        assertRow(rows.get(3), "2026-10-02", "chat", 1);
        assertThat(rows.get(2).path("model").asString()).isEqualTo("meta-llama/Meta-Llama-3.1-8B-Instruct");
        assertThat(rows.get(0).path("energyJoules").decimalValue()).isEqualByComparingTo(sum("energy_joules", "s1", "s2"));
        assertThat(rows.get(0).path("co2eGramsLocationBased").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_location", "s1", "s2"));
        assertThat(rows.get(0).path("co2eGramsMarketBased").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_market", "s1", "s2"));
        // September is invoiced and every gram of it allocated; October is neither
        assertThat(rows.get(2).path("co2eGramsInvoiced").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_location", "s4"));
        assertThat(rows.get(2).path("co2eGramsAllocated").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_location", "s4"));
        assertThat(rows.get(3).path("co2eGramsInvoiced").decimalValue()).isZero();
        assertThat(rows.get(3).path("co2eGramsAllocated").decimalValue()).isZero();
    }

    @Test
    void monthlyRowsAndTheWindowBounds() {
        meterAndPaySeptember();
        var months = api.get(tenant.key(), "/v1/emissions/summary?from=2026-09-01&to=2026-11-01&granularity=month");
        JsonNode rows = months.body().path("rows");
        assertThat(rows.size()).isEqualTo(3);
        assertRow(rows.get(0), "2026-09-01", "chat", 3);
        assertRow(rows.get(1), "2026-09-01", "summariser", 1);
        assertRow(rows.get(2), "2026-10-01", "chat", 1);
        assertThat(rows.get(0).path("co2eGramsLocationBased").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_location", "s1", "s2", "s3"));
        // [from, to): the 11th alone
        var oneDay = api.get(tenant.key(), "/v1/emissions/summary?from=2026-09-11&to=2026-09-12").body().path("rows");
        assertThat(oneDay.size()).isEqualTo(2);
        // the default window ends tomorrow and reaches 90 days back
        var defaults = api.get(tenant.key(), "/v1/emissions/summary");
        assertThat(defaults.text("to")).isEqualTo("2026-10-04");
        assertThat(defaults.text("from")).isEqualTo("2026-07-06");
        assertThat(defaults.body().path("rows").size()).isEqualTo(4);
    }

    @Test
    void anotherTenantsRequestsAreNotCounted() {
        meterAndPaySeptember();
        Tenant other = newTenant(unique("summary-other"), 100);
        var rows = api.get(other.key(), "/v1/emissions/summary?from=2026-09-01&to=2026-10-05").body().path("rows");
        assertThat(rows.size()).isZero();
    }

    @Test
    void anUnknownGranularityIs400() {
        Tenant t = newTenant(unique("summary-bad"), 100);
        var response = api.get(t.key(), "/v1/emissions/summary?granularity=week");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("granularity");
    }

    @Test
    void aMalformedDateIs400NamingIt() {
        Tenant t = newTenant(unique("summary-date"), 100);
        var response = api.get(t.key(), "/v1/emissions/summary?from=2026-02-30");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("from");
    }

    @Test
    void aWindowLongerThanTwoYearsIs400() {
        Tenant t = newTenant(unique("summary-long"), 100);
        var response = api.get(t.key(), "/v1/emissions/summary?from=2020-01-01&to=2026-01-01");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("from");
    }

    @Test
    void theOperatorReadsEveryTenantsRetirementsOrOnesByTenantId() {
        meterAndPaySeptember();
        long ofTenant = 0;
        String cursor = null;
        do {
            var page = api.get(OPERATOR_KEY, "/v1/operator/retirements?limit=200"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            ofTenant += page.body().path("items").valueStream()
                    .filter(r -> r.path("tenantId").asString().equals(tenant.id().toString())).count();
            cursor = page.body().path("nextCursor").isNull() ? null : page.body().path("nextCursor").asString();
        } while (cursor != null);
        assertThat(ofTenant).isEqualTo(1);
        var one = api.get(OPERATOR_KEY, "/v1/operator/retirements?tenantId=" + tenant.id()).body().path("items");
        assertThat(one.size()).isEqualTo(1);
        assertThat(one.get(0).path("gramsAllocated").decimalValue())
                .isEqualByComparingTo(sum("co2e_grams_location", "s1", "s2", "s3", "s4"));
        var own = api.get(tenant.key(), "/v1/offsets/retirements");
        assertThat(own.body().path("items").size()).isEqualTo(1);
        String other = newTenant(unique("peek"), 100).key();
        assertThat(api.get(other, "/v1/offsets/retirements").body().path("items").size()).isZero();
        var foreign = api.get(other, "/v1/operator/retirements?tenantId=" + tenant.id());
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.text("title")).isEqualTo("Scope required");
    }
}
