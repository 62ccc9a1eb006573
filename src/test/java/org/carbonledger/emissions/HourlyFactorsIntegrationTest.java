package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HourlyFactorsIntegrationTest extends IntegrationTest {

    private static final String REGION = "ap-southeast-2"; // AWS, annual CCF factor 760 gCO2e/kWh
    private Tenant tenant;
    private java.util.UUID workload;

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("hourly"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", REGION);
    }

    private Api.Response importCsv(String key, String csv, String dataset, String status) {
        return api.send(key, "POST", "/v1/emission-factors/hourly?datasetVersion=" + dataset
                + "&source=grid-operator-test&status=" + status, HttpRequest.BodyPublishers.ofString(csv), "text/csv");
    }

    private List<Map<String, Object>> versions(String requestId) {
        return jdbc.sql("""
                select e.version, e.co2e_grams_location, e.energy_joules, e.factor_status, e.factor_dataset_version,
                       e.factor_valid_from from emission_records e join inference_requests r
                    on r.id = e.inference_request_id where r.request_id = ? and r.tenant_id = ? order by e.version""")
                .params(requestId, tenant.id()).query().listOfRows();
    }

    @Test
    void estimatedThenFinalHourlyFactorsRestateUnbilledRecordsAsNewVersions() {
        String hour = unique("h").replace('-', '0');
        Instant in = Instant.parse("2026-09-15T10:30:00Z");
        assertThat(ingest(tenant.key(), List.of(request("a", workload, 500, 300, in))).status()).isEqualTo(200);
        // a request of August, billed before the import: restated too, its difference billed on the next close
        assertThat(ingest(tenant.key(), List.of(request("billed", workload, 500, 300,
                Instant.parse("2026-08-15T10:30:00Z")))).status()).isEqualTo(200);
        assertThat(api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-08")).status())
                .isEqualTo(201);
        // 1,165.943603 J (methodology.md worked example) × 760 g/kWh
        assertThat((BigDecimal) versions("a").get(0).get("co2e_grams_location")).isEqualByComparingTo("0.246144");

        String csv = "region,hour_start,gco2e_per_kwh,zone\n" + REGION + ",2026-09-15T10:00:00Z,100.0,AU-NSW\n"
                + REGION + ",2026-08-15T10:00:00Z,90,AU-NSW\n";
        var estimated = importCsv(OPERATOR_KEY, csv, "est-" + hour, "ESTIMATED");
        assertThat(estimated.status()).as(estimated.toString()).isEqualTo(200);
        assertThat(estimated.body().path("imported").asInt()).isEqualTo(2);
        assertThat(estimated.body().path("billedRestated").asInt()).isGreaterThanOrEqualTo(1);
        var line = line(estimated, "2026-09-01");
        assertThat(line.path("records").asInt()).isEqualTo(1);
        assertThat(line(estimated, "2026-08-01").path("records").asInt()).as("the billed August request").isEqualTo(1);
        assertThat(line.path("periodStart").asString()).isEqualTo("2026-09-01");
        assertThat(line.path("co2eGramsBefore").decimalValue()).isEqualByComparingTo("0.246144");
        // 1,165.943603 J × 100 g/kWh
        assertThat(line.path("co2eGramsAfter").decimalValue()).isEqualByComparingTo("0.032387");
        assertThat(line.path("co2eGramsDelta").decimalValue()).isEqualByComparingTo("-0.213757");

        var fin = importCsv(OPERATOR_KEY, "region,hour_start,gco2e_per_kwh\n" + REGION
                + ",2026-09-15T10:00:00Z,120.0\n", "final-" + hour, "FINAL");
        assertThat(fin.status()).as(fin.toString()).isEqualTo(200);
        assertThat(line(fin, "2026-09-01").path("co2eGramsAfter").decimalValue()).isEqualByComparingTo("0.038865");

        var a = versions("a");
        assertThat(a).hasSize(3); // old versions kept
        assertThat(a).extracting(v -> v.get("factor_status")).containsExactly("FINAL", "ESTIMATED", "FINAL");
        assertThat(a.get(2).get("factor_dataset_version")).isEqualTo("final-" + hour);
        assertThat(a).extracting(v -> ((BigDecimal) v.get("energy_joules")).toPlainString())
                .containsOnly("1165.943603");
        var billed = versions("billed");
        assertThat(billed).hasSize(2);
        // 1,165.943603 J × 90 g/kWh
        assertThat((BigDecimal) billed.get(1).get("co2e_grams_location")).isEqualByComparingTo("0.029149");
        BigDecimal restatedDifference = ((BigDecimal) billed.get(1).get("co2e_grams_location"))
                .subtract((BigDecimal) billed.get(0).get("co2e_grams_location"));
        // every restated version is a leaf of the transparency log, written with it
        assertThat(jdbc.sql("""
                select count(*) from emission_records e join inference_requests r on r.id = e.inference_request_id
                  join log_leaves g on g.kind = 'EMISSION_RECORD' and g.subject_id = e.id
                 where r.tenant_id = ? and r.request_id = 'a'""").param(tenant.id()).query(Long.class).single())
                .isEqualTo(3L);

        // a request metered after the import takes the final hourly factor directly, with its window
        ingest(tenant.key(), List.of(request("later", workload, 500, 300, Instant.parse("2026-09-15T10:45:00Z"))));
        var later = versions("later");
        assertThat((BigDecimal) later.get(0).get("co2e_grams_location")).isEqualByComparingTo("0.038865");
        assertThat(later.get(0).get("factor_valid_from").toString()).startsWith("2026-09-15 10:00");

        // the next close bills the lower restated August figure as a credit note, and September's latest versions
        var september = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"));
        assertThat(september.status()).as(september.toString()).isEqualTo(201);
        var credit = java.util.stream.StreamSupport.stream(september.body().path("lines").spliterator(), false)
                .filter(l -> l.path("kind").asString().equals("CREDIT_NOTE")).findFirst().orElseThrow();
        assertThat(credit.path("co2eGrams").decimalValue()).isEqualByComparingTo(restatedDifference);
        assertThat(restatedDifference).isNegative();
    }

    private tools.jackson.databind.JsonNode line(Api.Response response, String periodStart) {
        for (var l : response.body().path("diff")) {
            if (l.path("tenantId").asString().equals(tenant.id().toString())
                    && l.path("periodStart").asString().equals(periodStart)) {
                return l;
            }
        }
        throw new AssertionError("no diff line for the tenant in " + response);
    }

    @Test
    void rejectsBadSeriesNamingTheProblem() {
        var offHour = importCsv(OPERATOR_KEY, "region,hour_start,gco2e_per_kwh\n" + REGION
                + ",2026-09-15T10:30:00Z,1\n", unique("bad"), "FINAL");
        assertThat(offHour.status()).isEqualTo(400);
        assertThat(offHour.text("detail")).isEqualTo("line 2: hour_start must be on the hour (UTC)");
        var unknown = importCsv(OPERATOR_KEY, "region,hour_start,gco2e_per_kwh\nmars-1,2026-09-15T10:00:00Z,1\n",
                unique("bad"), "FINAL");
        assertThat(unknown.text("detail")).isEqualTo("unknown region 'mars-1'");
        var status = importCsv(OPERATOR_KEY, "region,hour_start,gco2e_per_kwh\n" + REGION
                + ",2026-09-15T10:00:00Z,1\n", unique("bad"), "PROVISIONAL");
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.text("field")).isEqualTo("status");
        assertThat(importCsv(tenant.key(), "region,hour_start,gco2e_per_kwh\n", unique("bad"), "FINAL").status())
                .isEqualTo(403);
    }

    @Test
    void reimportingTheSameDatasetHourIsAConflict() {
        String dataset = unique("dup");
        String csv = "region,hour_start,gco2e_per_kwh\n" + REGION + ",2026-07-01T00:00:00Z,50\n";
        assertThat(importCsv(OPERATOR_KEY, csv, dataset, "ESTIMATED").status()).isEqualTo(200);
        assertThat(importCsv(OPERATOR_KEY, csv, dataset, "ESTIMATED").status()).isEqualTo(409);
    }
}
