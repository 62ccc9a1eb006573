package org.carbonledger.emissions;

import java.util.List;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EstimatesIntegrationTest extends IntegrationTest {

    private static final Object SHAPE = Api.map("model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "gpu",
            "H100-80GB-HBM3", "numGpus", 4, "avgBatchSize", 64, "inputTokens", 500, "outputTokens", 300);

    @Test
    void gpuScopeForATenant() {
        var tenant = newTenant(unique("estimates"), 10);
        var response = api.post(tenant.key(), "/v1/estimates", Api.map("requests", List.of(SHAPE)));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var e = response.body().path("estimates").get(0);
        // worked example of docs/domain/methodology.md: 541.568709 J decode + 99.089990 J prefill
        assertThat(e.path("energyJoules").decimalValue()).isEqualByComparingTo("640.658698");
        assertThat(e.path("energyJoulesPrefill").decimalValue()).isEqualByComparingTo("99.089990");
        assertThat(e.path("gpu").asString()).isEqualTo("H100-SXM5-80GB");
        assertThat(e.path("flags").size()).isZero();
        assertThat(e.path("components").isNull()).isTrue();
        assertThat(response.body().path("methodologyVersion").asString()).isEqualTo("estimator-v1");
    }

    @Test
    void fullScopeWithEachComponent() {
        var response = api.post(readOnlyKey(), "/v1/estimates", Api.map("scope", "full", "pue", 1.135,
                "requests", List.of(SHAPE)));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var e = response.body().path("estimates").get(0);
        var c = e.path("components");
        // 640.658698 × 25/58 = 276.145991 host; (640.658698 + 276.145991) × 10/83 = 110.458396 idle;
        // 1,027.263086 × 0.135 = 138.680517 overhead; total 1,165.943602 J
        assertThat(c.path("energyJoulesAccelerator").decimalValue()).isEqualByComparingTo("640.658698");
        assertThat(c.path("energyJoulesHost").decimalValue()).isEqualByComparingTo("276.145991");
        assertThat(c.path("energyJoulesIdle").decimalValue()).isEqualByComparingTo("110.458396");
        assertThat(c.path("energyJoulesPueOverhead").decimalValue()).isEqualByComparingTo("138.680517");
        assertThat(e.path("energyJoules").decimalValue()).isEqualByComparingTo("1165.943602");
        // 640.658698 J / (700 W × 0.416673) = 2.196512 GPU-s × (164 + 5,700/8) kg / 3 years = 0.020336 g
        assertThat(c.path("embodiedCo2eGrams").decimalValue()).isEqualByComparingTo("0.020336");
    }

    @Test
    void unrecognisedGpuIsABadRequestNamingTheField() {
        var response = api.post(readOnlyKey(), "/v1/estimates", Api.map("requests", List.of(Api.map(
                "paramsBillion", 8, "gpu", "Z9000", "outputTokens", 10))));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("requests[0].gpu");
        assertThat(response.text("detail")).isEqualTo("unrecognised GPU 'Z9000'");
    }

    @Test
    void unknownModelWithoutParametersIsABadRequestNamingTheField() {
        var response = api.post(readOnlyKey(), "/v1/estimates", Api.map("requests", List.of(SHAPE, Api.map(
                "model", "acme/secret", "gpu", "L4"))));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text("field")).isEqualTo("requests[1].paramsBillion");
    }

    @Test
    void withoutAKeyIsUnauthorized() {
        assertThat(api.post(null, "/v1/estimates", Api.map("requests", List.of(SHAPE))).status()).isEqualTo(401);
    }

    /** Estimates need only the {@code read} scope. */
    private String readOnlyKey() {
        var tenant = newTenant(unique("estimates-read"), 10);
        var key = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("read")));
        assertThat(key.status()).as(key.toString()).isEqualTo(201);
        return key.text("apiKey");
    }
}
