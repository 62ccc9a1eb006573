package org.carbonledger.emissions.grid;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.support.GridStub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The adapters against a local stub serving the providers' documented response shapes. */
class GridSignalClientsTest {

    static final String HISTORY = """
            {"zone":"DE","history":[
              {"zone":"DE","carbonIntensity":302,"datetime":"2026-09-30T10:00:00.000Z",
               "updatedAt":"2026-09-30T12:01:02.000Z","createdAt":"2026-09-27T10:45:00.000Z",
               "emissionFactorType":"lifecycle","isEstimated":true,"estimationMethod":"TIME_SLICER_AVERAGE"},
              {"zone":"DE","carbonIntensity":287.5,"datetime":"2026-09-30T11:00:00.000Z",
               "updatedAt":"2026-09-30T12:01:02.000Z","createdAt":"2026-09-27T11:45:00.000Z",
               "emissionFactorType":"lifecycle","isEstimated":false,"estimationMethod":null}]}""";
    static final String HISTORICAL = """
            {"data":[{"point_time":"2026-09-30T10:00:00+00:00","value":1000.0,"version":"2026-03-01"},
                     {"point_time":"2026-09-30T10:05:00+00:00","value":900.0,"version":"2026-03-01"}],
             "meta":{"data_point_period_seconds":300,"region":"CAISO_NORTH","warnings":[],"signal_type":"co2_moer",
                     "model":{"date":"2026-03-01","type":"binned_regression"},"units":"lbs_co2_per_mwh",
                     "generated_at_period_seconds":300,"generated_at":"2026-09-30T10:05:00+00:00"}}""";

    private final GridStub stub = new GridStub();
    private final Clock clock = Clock.fixed(Instant.parse("2026-10-01T00:00:00Z"), ZoneOffset.UTC);
    private final ProviderHttp.Policy fast = new ProviderHttp.Policy(3, Duration.ofMillis(1), Duration.ofMillis(5),
            Duration.ofSeconds(5), Duration.ofMinutes(15));

    @AfterEach
    void stop() {
        stub.close();
    }

    private ElectricityMapsClient em(String token) {
        return new ElectricityMapsClient(new ProviderHttp("electricity-maps", fast, clock), stub.url(), token);
    }

    private WattTimeClient wt() {
        return new WattTimeClient(new ProviderHttp("watttime", fast, clock), stub.url(), "user", "secret");
    }

    @Test
    void electricityMapsHistoryWithAuthTokenAndCache() {
        stub.answer("/v3/carbon-intensity/history", GridStub.ok(HISTORY));
        var client = em("token-1");
        var points = client.history("DE");
        assertThat(points).hasSize(2);
        var first = points.get(0);
        assertThat(first.zone()).isEqualTo("DE");
        assertThat(first.gco2ePerKwh()).isEqualByComparingTo("302");
        assertThat(first.datetime()).isEqualTo(Instant.parse("2026-09-30T10:00:00Z"));
        assertThat(first.updatedAt()).isEqualTo(Instant.parse("2026-09-30T12:01:02Z"));
        assertThat(first.emissionFactorType()).isEqualTo("lifecycle");
        assertThat(first.estimated()).isTrue();
        assertThat(first.estimationMethod()).isEqualTo("TIME_SLICER_AVERAGE");
        assertThat(points.get(1).estimated()).isFalse();
        assertThat(points.get(1).estimationMethod()).isNull();
        client.history("DE");
        var seen = stub.requests("/v3/carbon-intensity/history");
        assertThat(seen).as("the second call is served from the cache").hasSize(1);
        assertThat(seen.get(0).pathAndQuery()).isEqualTo("/v3/carbon-intensity/history?zone=DE");
        assertThat(seen.get(0).headers().get("Auth-token")).containsExactly("token-1");
    }

    @Test
    void electricityMapsPastPoint() {
        stub.answer("/v3/carbon-intensity/past", GridStub.ok("""
                {"zone":"FR","carbonIntensity":41,"datetime":"2026-09-30T10:00:00.000Z",
                 "updatedAt":"2026-09-30T11:00:00.000Z","emissionFactorType":"direct","isEstimated":false,
                 "estimationMethod":null}"""));
        var point = em("t").past("FR", Instant.parse("2026-09-30T10:00:00Z"));
        assertThat(point.gco2ePerKwh()).isEqualByComparingTo("41");
        assertThat(point.emissionFactorType()).isEqualTo("direct");
        assertThat(stub.requests("/v3/carbon-intensity/past").get(0).pathAndQuery())
                .isEqualTo("/v3/carbon-intensity/past?zone=FR&datetime=2026-09-30T10%3A00%3A00Z");
    }

    @Test
    void retriesTooManyRequestsThenSucceeds() {
        stub.answer("/v3/carbon-intensity/history",
                new GridStub.Canned(429, "{\"message\":\"rate limited\"}", Map.of("Retry-After", "0")),
                GridStub.status(503, "{}"), GridStub.ok(HISTORY));
        assertThat(em("t").history("DE")).hasSize(2);
        assertThat(stub.requests("/v3/carbon-intensity/history")).hasSize(3);
    }

    @Test
    void givesUpAfterTheLastAttemptWithAProblemNamingTheProvider() {
        stub.answer("/v3/carbon-intensity/history", GridStub.status(500, "{}"));
        ApiProblem problem = catchThrowableOfType(ApiProblem.class, () -> em("t").history("DE"));
        assertThat(problem.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(problem.field()).isEqualTo("provider");
        assertThat(problem.getMessage()).isEqualTo("electricity-maps: answered 500 after 3 attempts");
        assertThat(stub.requests("/v3/carbon-intensity/history")).hasSize(3);
    }

    @Test
    void aRefusedTokenIsNotRetried() {
        stub.answer("/v3/carbon-intensity/history", GridStub.status(401, "{\"message\":\"bad token\"}"));
        ApiProblem problem = catchThrowableOfType(ApiProblem.class, () -> em("wrong").history("DE"));
        assertThat(problem.getMessage()).isEqualTo("electricity-maps: answered 401 to /v3/carbon-intensity/history");
        assertThat(stub.requests("/v3/carbon-intensity/history")).hasSize(1);
    }

    @Test
    void noTokenConfiguredIsAClearFailure() {
        ApiProblem problem = catchThrowableOfType(ApiProblem.class, () -> em("").history("DE"));
        assertThat(problem.getMessage()).contains("no auth token configured");
        assertThat(stub.requests("/")).isEmpty();
    }

    @Test
    void malformedAnswerIsAProviderFailure() {
        stub.answer("/v3/carbon-intensity/history", GridStub.ok("{\"zone\":\"DE\"}"));
        ApiProblem problem = catchThrowableOfType(ApiProblem.class, () -> em("t").history("DE"));
        assertThat(problem.getMessage()).isEqualTo("electricity-maps: history answer without a 'history' array");
    }

    @Test
    void wattTimeLogsInWithBasicAuthAndConvertsMoerToGramsPerKwh() {
        stub.answer("/login", GridStub.ok("{\"token\":\"wt-token\"}"));
        stub.answer("/v3/historical", GridStub.ok(HISTORICAL));
        var points = wt().historicalMoer("CAISO_NORTH", Instant.parse("2026-09-30T10:00:00Z"),
                Instant.parse("2026-09-30T10:10:00Z"));
        assertThat(points).hasSize(2);
        var p = points.get(0);
        assertThat(p.region()).isEqualTo("CAISO_NORTH");
        assertThat(p.signalType()).isEqualTo("co2_moer");
        assertThat(p.units()).isEqualTo("lbs_co2_per_mwh");
        assertThat(p.value()).isEqualByComparingTo("1000");
        assertThat(p.gco2ePerKwh()).isEqualByComparingTo("453.59237"); // 1,000 lb/MWh × 453.59237 g/lb ÷ 1,000 kWh
        assertThat(p.validTo()).isEqualTo(Instant.parse("2026-09-30T10:05:00Z"));
        assertThat(p.modelVersion()).isEqualTo("2026-03-01");
        var login = stub.requests("/login").get(0);
        assertThat(login.headers().get("Authorization")).containsExactly("Basic "
                + Base64.getEncoder().encodeToString("user:secret".getBytes()));
        var data = stub.requests("/v3/historical").get(0);
        assertThat(data.headers().get("Authorization")).containsExactly("Bearer wt-token");
        assertThat(data.pathAndQuery()).isEqualTo("/v3/historical?region=CAISO_NORTH&start=2026-09-30T10%3A00%3A00Z"
                + "&end=2026-09-30T10%3A10%3A00Z&signal_type=co2_moer");
    }

    @Test
    void wattTimeLogsInAgainWhenTheTokenExpired() {
        stub.answer("/login", GridStub.ok("{\"token\":\"old\"}"), GridStub.ok("{\"token\":\"new\"}"));
        stub.answer("/v3/historical", GridStub.status(401, "{}"), GridStub.ok(HISTORICAL));
        assertThat(wt().historicalMoer("CAISO_NORTH", Instant.parse("2026-09-30T10:00:00Z"),
                Instant.parse("2026-09-30T10:10:00Z"))).hasSize(2);
        assertThat(stub.requests("/login")).hasSize(2);
        assertThat(stub.requests("/v3/historical").get(1).headers().get("Authorization"))
                .containsExactly("Bearer new");
    }

    @Test
    void wattTimeRefusedLoginAndUnknownUnitsAreClearFailures() {
        stub.answer("/login", GridStub.status(403, "{}"));
        ApiProblem refused = catchThrowableOfType(ApiProblem.class, () -> wt().historicalMoer("X",
                Instant.parse("2026-09-30T10:00:00Z"), Instant.parse("2026-09-30T11:00:00Z")));
        assertThat(refused.getMessage()).isEqualTo("watttime: login refused (403)");

        stub.answer("/login", GridStub.ok("{\"token\":\"t\"}"));
        stub.answer("/v3/historical", GridStub.ok(HISTORICAL.replace("lbs_co2_per_mwh", "percent")));
        ApiProblem units = catchThrowableOfType(ApiProblem.class, () -> wt().historicalMoer("X",
                Instant.parse("2026-09-30T10:00:00Z"), Instant.parse("2026-09-30T11:00:00Z")));
        assertThat(units.getMessage()).isEqualTo("watttime: unsupported units 'percent'");
    }
}
