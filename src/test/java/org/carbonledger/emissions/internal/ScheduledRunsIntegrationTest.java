package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.GridStub;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the emissions schedule does when it fires, driven by hand with the clock moved: closed windows attributed and
 * records restated once; the configured provider zones and regions (eu-west-1 ↔ IE-SCHEDULED, WT_SCHEDULED, set in
 * {@link IntegrationTest}) synced, nothing stored or restated twice, one provider failing without stopping the other.
 */
class ScheduledRunsIntegrationTest extends IntegrationTest {

    private static final Instant W0 = Instant.parse("2026-10-01T06:00:00Z");

    @Autowired
    ScheduledRuns runs;

    private int versions(Tenant tenant, String requestId) {
        return jdbc.sql("""
                select count(*) from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = ?""").params(tenant.id(), requestId)
                .query(Integer.class).single();
    }

    private List<Instant> windows(Tenant tenant, String node) {
        return jdbc.sql("select window_start from measurement_windows where tenant_id = ? and node_id = ?"
                + " order by window_start").params(tenant.id(), node)
                .query((rs, n) -> rs.getTimestamp(1).toInstant()).list();
    }

    @Test
    void attributionRunAttributesClosedWindowsAsTheClockMovesAndNeverTwice() {
        Tenant tenant = newTenant(unique("scheduled"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        String node = unique("node");
        clock.set(W0.plusSeconds(660)); // 06:11
        var ingest = ingest(tenant.key(), List.of(Api.map("requestId", "early", "workloadId", workload.toString(),
                "inputTokens", 500, "outputTokens", 300, "startedAt", W0.plusSeconds(60).toString(),
                "endedAt", W0.plusSeconds(120).toString(), "nodeId", node),
                Api.map("requestId", "late", "workloadId", workload.toString(), "inputTokens", 500,
                        "outputTokens", 300, "startedAt", W0.plusSeconds(400).toString(),
                        "endedAt", W0.plusSeconds(420).toString(), "nodeId", node)));
        assertThat(ingest.status()).as(ingest.toString()).isEqualTo(200);
        var samples = api.post(tenant.key(), "/v1/telemetry/energy", Api.map("samples", List.of(
                Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0, "sampledAt", W0.toString(),
                        "energyJoulesTotal", new BigDecimal("0")),
                Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0,
                        "sampledAt", W0.plusSeconds(300).toString(), "energyJoulesTotal", new BigDecimal("90000")),
                Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0,
                        "sampledAt", W0.plusSeconds(600).toString(), "energyJoulesTotal", new BigDecimal("150000")))));
        assertThat(samples.status()).as(samples.toString()).isEqualTo(200);

        // 06:11: 06:00–06:05 is closed (5 minutes' grace), 06:05–06:10 is not yet
        runs.attributeClosedWindows();
        assertThat(windows(tenant, node)).containsExactly(W0);
        assertThat(versions(tenant, "early")).isEqualTo(2);
        assertThat(versions(tenant, "late")).isEqualTo(1);
        runs.attributeClosedWindows();
        assertThat(windows(tenant, node)).containsExactly(W0);
        assertThat(versions(tenant, "early")).isEqualTo(2);

        // 06:16: the next window has closed too
        clock.set(W0.plusSeconds(960));
        runs.attributeClosedWindows();
        assertThat(windows(tenant, node)).containsExactly(W0, W0.plusSeconds(300));
        assertThat(versions(tenant, "late")).isEqualTo(2);
        var again = runs.attributeClosedWindows();
        assertThat(windows(tenant, node)).hasSize(2);
        assertThat(versions(tenant, "early")).isEqualTo(2);
        assertThat(versions(tenant, "late")).isEqualTo(2);
        assertThat(again.more()).isFalse();
    }

    private void providersAnswer() {
        GRID.answer("/v3/carbon-intensity/history", GridStub.ok("""
                {"zone":"IE-SCHEDULED","history":[
                  {"zone":"IE-SCHEDULED","carbonIntensity":321,"datetime":"2026-09-30T05:00:00.000Z",
                   "updatedAt":"2026-09-30T07:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":false,
                   "estimationMethod":null}]}"""));
        GRID.answer("/login", GridStub.ok("{\"token\":\"wt-token\"}"));
        GRID.answer("/v3/historical", GridStub.ok("""
                {"data":[{"point_time":"2026-09-30T09:00:00+00:00","value":900.0},
                         {"point_time":"2026-09-30T09:05:00+00:00","value":700.0}],
                 "meta":{"data_point_period_seconds":300,"region":"WT_SCHEDULED","warnings":[],
                         "signal_type":"co2_moer","model":{"date":"2026-03-01"},"units":"lbs_co2_per_mwh"}}"""));
    }

    @Test
    void gridSyncPullsTheConfiguredZonesAndRegionsAndStoresNothingTwice() {
        Tenant tenant = newTenant(unique("scheduled-grid"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "eu-west-1");
        assertThat(ingest(tenant.key(), List.of(request("synced", workload, 500, 300,
                Instant.parse("2026-09-30T05:30:00Z")))).status()).isEqualTo(200);
        providersAnswer();

        var run = runs.syncGridSignals();
        assertThat(run.synced()).isEqualTo(2);
        assertThat(run.failed()).isZero();
        assertThat(versions(tenant, "synced")).isEqualTo(2);
        assertThat(jdbc.sql("""
                select e.factor_zone from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where r.tenant_id = ? and r.request_id = 'synced' order by e.version desc limit 1""")
                .param(tenant.id()).query(String.class).single()).isEqualTo("IE-SCHEDULED");
        // WattTime: the look-back (24 hours) up to now, the current minute
        assertThat(GRID.requests("/v3/historical?region=WT_SCHEDULED&start=2026-09-30T08%3A00%3A00Z"
                + "&end=2026-10-01T08%3A00%3A00Z")).isNotEmpty();
        assertThat(jdbc.sql("select count(*) from marginal_signals where zone = 'WT_SCHEDULED'")
                .query(Long.class).single()).isEqualTo(2L);

        // the next run, an hour later: the same answers store and restate nothing again
        clock.set(START.plusSeconds(3600));
        var next = runs.syncGridSignals();
        assertThat(next.synced()).isEqualTo(2);
        assertThat(next.hourlyFactorsImported()).isZero();
        assertThat(next.recordsRestated()).isZero();
        assertThat(next.marginalPointsStored()).isZero();
        assertThat(versions(tenant, "synced")).isEqualTo(2);
        assertThat(jdbc.sql("select count(*) from emission_factors where zone = 'IE-SCHEDULED'")
                .query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void aProviderDownIsCountedAndTheOtherStillSyncs() {
        providersAnswer();
        GRID.answer("/v3/carbon-intensity/history", GridStub.status(502, "{}"));
        clock.set(START.plus(java.time.Duration.ofDays(2))); // past any cached answer

        var run = runs.syncGridSignals();
        assertThat(run.failed()).isEqualTo(1);
        assertThat(run.synced()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from marginal_signals where zone = 'WT_SCHEDULED' and point_time = ?")
                .param(Timestamp.from(Instant.parse("2026-09-30T09:00:00Z"))).query(Long.class).single())
                .isEqualTo(1L);
    }
}
