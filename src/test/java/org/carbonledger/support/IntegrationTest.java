package org.carbonledger.support;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.CarbonLedgerApplication;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the integration tests: the whole application on real PostgreSQL — embedded under target/test-data, or
 * the server named by CARBONLEDGER_DB_URL — over HTTP, with a clock the test moves.
 */
@SpringBootTest(classes = {CarbonLedgerApplication.class, IntegrationTest.TestClock.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "carbonledger.data-dir=${CARBONLEDGER_TEST_DATA_ROOT:target/test-data}/${random.uuid}",
                "carbonledger.admin-key=" + IntegrationTest.OPERATOR_KEY,
                // the suite's database is thrown away: it need not survive a power cut (decision 0075)
                "carbonledger.embedded-db.durable=false",
                "spring.main.allow-bean-definition-overriding=true",
                "carbonledger.rate-limit.api-per-minute=1000000",
                "carbonledger.rate-limit.ingest-per-minute=1000000",
                // tests run the emissions schedule's work by hand (ScheduledRuns), never in the background
                "carbonledger.emissions.scheduling=false"})
public abstract class IntegrationTest {

    public static final String OPERATOR_KEY = "test-operator-key-0123456789";
    public static final Instant START = Instant.parse("2026-10-01T08:00:00Z");

    @TestConfiguration(proxyBeanMethods = false)
    public static class TestClock {
        @Bean
        @Primary
        MutableClock testClock() {
            return new MutableClock(START);
        }
    }

    /** The Electricity Maps and WattTime stand-in of every integration test (one application context). */
    protected static final GridStub GRID = new GridStub();

    @org.springframework.test.context.DynamicPropertySource
    static void gridProviders(org.springframework.test.context.DynamicPropertyRegistry registry) {
        registry.add("carbonledger.grid.electricity-maps.base-url", GRID::url);
        registry.add("carbonledger.grid.electricity-maps.token", () -> "em-test-token");
        registry.add("carbonledger.grid.watttime.base-url", GRID::url);
        registry.add("carbonledger.grid.watttime.username", () -> "wt-user");
        registry.add("carbonledger.grid.watttime.password", () -> "wt-password");
        registry.add("carbonledger.grid.http.backoff", () -> "PT0.01S");
        registry.add("carbonledger.grid.sync.electricity-maps-zones", () -> "eu-west-1=IE-SCHEDULED");
        registry.add("carbonledger.grid.sync.watt-time-regions", () -> "eu-west-1=WT_SCHEDULED");
    }

    @LocalServerPort
    protected int port;

    @Autowired
    protected MutableClock clock;

    @Autowired
    protected JdbcClient jdbc;

    protected Api api;

    @BeforeEach
    void setUpApi() {
        api = new Api(port);
        clock.set(START);
    }

    /** A new tenant; returns its API key. */
    protected Tenant newTenant(String name, int pricePerTonne) {
        var response = api.post(OPERATOR_KEY, "/v1/tenants", Api.map("name", name, "pricePerTonne", pricePerTonne));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return new Tenant(UUID.fromString(response.text("id")), response.text("apiKey"));
    }

    public record Tenant(UUID id, String key) {
    }

    /**
     * Since when the workloads of {@link #newWorkload} serve: before any request the tests meter (requests may not
     * start before their workload served).
     */
    public static final Instant WORKLOADS_REGISTERED = Instant.parse("2019-01-01T00:00:00Z");

    /** A new workload, serving since {@link #WORKLOADS_REGISTERED}. */
    protected UUID newWorkload(String key, String name, String model, String region) {
        var response = api.post(key, "/v1/workloads", Api.map("name", name, "model", model, "gpuModel", "H100",
                "gpuCount", 4, "region", region, "servingSince", WORKLOADS_REGISTERED.toString()));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return UUID.fromString(response.text("id"));
    }

    protected Api.Response ingest(String key, List<?> records) {
        return api.post(key, "/v1/telemetry/requests", Api.map("requests", records));
    }

    protected static java.util.Map<String, Object> request(String requestId, UUID workloadId, long in, long out,
            Instant endedAt) {
        return Api.map("requestId", requestId, "workloadId", workloadId.toString(), "inputTokens", in,
                "outputTokens", out, "startedAt", endedAt.minusSeconds(3).toString(), "endedAt", endedAt.toString());
    }

    /** Puts a registry project into the offset product catalog unless it is there already. */
    protected void ensureProduct(String registry, String projectId, String kind) {
        var response = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", registry, "projectId",
                projectId, "name", "Project " + projectId, "kind", kind, "methodology", "VM0047", "country", "US"));
        assertThat(response.status()).as(response.toString()).isIn(201, 409);
    }

    protected UUID newLot(String prefix, long first, long last, int vintage) {
        ensureProduct("VERRA", "VCS-" + prefix, "REMOVAL");
        var response = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "VERRA", "projectId",
                "VCS-" + prefix, "vintage", vintage, "serialPrefix", prefix, "serialFirst", first, "serialLast", last,
                "pricePerTonne", 25, "currency", "USD"));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return UUID.fromString(response.text("id"));
    }

    protected static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected Clock clock() {
        return clock;
    }
}
