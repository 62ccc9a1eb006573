package org.carbonledger.emissions.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An attribution run considers the windows of its lookback only (decision 0079): a window that closed before the
 * horizon is left alone, however complete its samples, and a run with a longer lookback attributes it.
 */
class MeasuredLookbackIntegrationTest extends IntegrationTest {

    /** Test clock at 08:00, grace 5 min: a one-hour lookback starts at 06:55. */
    private static final Instant OLD = Instant.parse("2026-10-01T05:00:00Z");
    private static final Instant RECENT = Instant.parse("2026-10-01T07:30:00Z");

    @Autowired
    EmissionsRecorder recorder;

    private MeasuredAttribution attribution(Duration lookback) {
        return new MeasuredAttribution(jdbc, recorder, clock, Duration.ofMinutes(5), Duration.ofMinutes(5),
                MeasuredAttribution.IdlePolicy.PRO_RATA, Duration.ofMinutes(15), lookback);
    }

    private List<Instant> windows(UUID tenantId, String node) {
        return jdbc.sql("select window_start from measurement_windows where tenant_id = ? and node_id = ? "
                        + "order by window_start")
                .params(tenantId, node).query((rs, n) -> rs.getTimestamp(1).toInstant()).list();
    }

    @Test
    void windowsBeforeTheLookbackAreLeftAloneAndTheOthersMeasuredAsFromTheWholeHistory() {
        Tenant tenant = newTenant(unique("lookback"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "eu-north-1");
        String node = unique("node");
        var ingest = ingest(tenant.key(), List.of(
                Api.map("requestId", "old", "workloadId", workload.toString(), "inputTokens", 100,
                        "outputTokens", 100, "startedAt", OLD.plusSeconds(60).toString(),
                        "endedAt", OLD.plusSeconds(120).toString(), "nodeId", node),
                Api.map("requestId", "recent", "workloadId", workload.toString(), "inputTokens", 100,
                        "outputTokens", 100, "startedAt", RECENT.plusSeconds(60).toString(),
                        "endedAt", RECENT.plusSeconds(120).toString(), "nodeId", node)));
        assertThat(ingest.body().path("accepted").asInt()).as(ingest.toString()).isEqualTo(2);
        // GPU 0: 100 W through the old window (05:00–05:05), silent, then 200 W from 07:25 to 07:35
        var samples = api.post(tenant.key(), "/v1/telemetry/energy", Api.map("samples", List.of(
                sample(workload, node, OLD, 0),
                sample(workload, node, OLD.plusSeconds(300), 30_000),
                sample(workload, node, RECENT.minusSeconds(300), 30_000),
                sample(workload, node, RECENT.plusSeconds(300), 150_000))));
        assertThat(samples.status()).as(samples.toString()).isEqualTo(200);

        var run = attribution(Duration.ofHours(1)).processClosedWindows();
        assertThat(windows(tenant.id(), node)).as("only the windows after 06:55")
                .containsExactly(RECENT.minusSeconds(300), RECENT);
        assertThat(run.windowsAttributed()).isEqualTo(2);
        var recent = jdbc.sql("select energy_joules_measured from measurement_windows where tenant_id = ? "
                + "and node_id = ? and window_start = ?").params(tenant.id(), node, java.sql.Timestamp.from(RECENT))
                .query(java.math.BigDecimal.class).single();
        // 120,000 J over 600 s: 200 W, i.e. 60,000 J in the five minutes of the window
        assertThat(recent).isEqualByComparingTo("60000");

        attribution(Duration.ofDays(7)).processClosedWindows();
        assertThat(windows(tenant.id(), node)).as("a week's lookback reaches the old window")
                .containsExactly(OLD, RECENT.minusSeconds(300), RECENT);
    }

    private static java.util.Map<String, Object> sample(UUID workload, String node, Instant at, long joules) {
        return Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", 0, "sampledAt", at.toString(),
                "energyJoulesTotal", joules);
    }
}
