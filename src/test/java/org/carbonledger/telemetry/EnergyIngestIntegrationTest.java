package org.carbonledger.telemetry;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EnergyIngestIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID workload;
    private final Instant at = START.minusSeconds(600);

    @BeforeEach
    void tenantWithWorkload() {
        tenant = newTenant(unique("energy"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
    }

    private Map<String, Object> sample(String node, Object gpu, Instant sampledAt, Object joules) {
        return Api.map("workloadId", workload.toString(), "nodeId", node, "gpu", gpu, "sampledAt",
                sampledAt.toString(), "energyJoulesTotal", joules);
    }

    private List<BigDecimal> stored(String node) {
        return jdbc.sql("""
                select energy_joules_total from energy_measurements where tenant_id = ? and node_id = ?
                 order by gpu_index, sampled_at""").params(tenant.id(), node).query(BigDecimal.class).list();
    }

    @Test
    void jsonSamplesAreStoredOncePerNodeGpuAndTimeAndInvalidOnesReported() {
        var body = Api.map("samples", List.of(sample("node-1", 0, at, 1000.5), sample("node-1", 0,
                at.plusSeconds(10), 1700.125), sample("node-1", 1, at, -1), sample("node-1", 0, at, 1000.5),
                sample("node-1", "zero", at, 1)));
        var response = api.post(tenant.key(), "/v1/telemetry/energy", body);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(response.body().path("duplicates").asInt()).isEqualTo(1);
        assertThat(response.body().path("rejected").asInt()).isEqualTo(2);
        assertThat(response.body().path("items").get(2).path("field").asString())
                .isEqualTo("samples[2].energyJoulesTotal");
        assertThat(response.body().path("items").get(4).path("field").asString()).isEqualTo("samples[4].gpu");
        assertThat(stored("node-1")).usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("1000.5"), new BigDecimal("1700.125"));
        var replay = api.post(tenant.key(), "/v1/telemetry/energy", body);
        assertThat(replay.body().path("duplicates").asInt()).isEqualTo(3);
        assertThat(stored("node-1")).hasSize(2);
    }

    @Test
    void dcgmExporterTextIsReadAsMillijoulesWithTheWorkloadFromTheHeader() {
        long ms = at.toEpochMilli();
        String text = """
                # HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).
                # TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
                DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-a",device="nvidia0",Hostname="dgx-7"} 123456789 %d
                DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="1",UUID="GPU-b",device="nvidia1",Hostname="dgx-7"} 2.5e6 %d
                # TYPE DCGM_FI_DEV_GPU_TEMP gauge
                DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="dgx-7"} 41
                DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{UUID="GPU-c",Hostname="dgx-7"} 5 %d
                """.formatted(ms, ms, ms);
        var response = api.postBytes(tenant.key(), "/v1/telemetry/energy", text.getBytes(StandardCharsets.UTF_8),
                "text/plain; version=0.0.4", Map.of("X-Carbonledger-Workload", workload.toString()));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.body().path("accepted").asInt()).isEqualTo(2);
        assertThat(response.body().path("otherMetrics").asInt()).isEqualTo(1);
        assertThat(response.body().path("items").get(2).path("reason").asString())
                .isEqualTo("line 7: label gpu must be a GPU index, got null");
        assertThat(stored("dgx-7")).usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("123456.789"), new BigDecimal("2500"));
        assertThat(jdbc.sql("select sampled_at from energy_measurements where tenant_id = ? and gpu_index = 1")
                .param(tenant.id()).query(java.sql.Timestamp.class).single().toInstant()).isEqualTo(at);
    }

    @Test
    void malformedTextIsA400NamingTheLine() {
        var response = api.postBytes(tenant.key(), "/v1/telemetry/energy",
                "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\" 1\n".getBytes(), "text/plain");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("detail")).startsWith("line 1, column");
        var noSamples = api.post(tenant.key(), "/v1/telemetry/energy", Api.map("samples", List.of()));
        assertThat(noSamples.status()).isEqualTo(400);
        assertThat(noSamples.text("field")).isEqualTo("samples");
    }
}
