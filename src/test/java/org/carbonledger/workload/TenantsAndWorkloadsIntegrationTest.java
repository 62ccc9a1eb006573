package org.carbonledger.workload;

import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TenantsAndWorkloadsIntegrationTest extends IntegrationTest {

    @Test
    void operatorCreatesTenantAndKeyIsShownOnceAndStoredHashed() {
        Tenant tenant = newTenant(unique("acme"), 120);
        assertThat(tenant.key()).startsWith("clk_");
        var me = api.get(tenant.key(), "/v1/tenants/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.body().path("pricePerTonne").decimalValue()).isEqualByComparingTo("120");
        assertThat(me.body().has("apiKey")).isFalse();
        var stored = jdbc.sql("select prefix, secret_hash from api_keys where tenant_id = ?").param(tenant.id())
                .query((rs, n) -> java.util.Map.entry(rs.getString(1), rs.getBytes(2))).single();
        assertThat(tenant.key()).startsWith("clk_" + stored.getKey() + "_");
        assertThat(stored.getValue()).isEqualTo(sha256(tenant.key()));
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void missingOrWrongKeyIs401AndTenantKeyCannotCreateTenants() {
        assertThat(api.post(null, "/v1/tenants", Api.map("name", "x")).status()).isEqualTo(401);
        var wrong = api.post("clk_nope_nope", "/v1/tenants", Api.map("name", "x"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.text("detail")).contains("unknown");
        Tenant tenant = newTenant(unique("t"), 10);
        assertThat(api.post(tenant.key(), "/v1/tenants", Api.map("name", "x")).status()).isEqualTo(403);
        assertThat(api.get(OPERATOR_KEY, "/v1/workloads").status()).isEqualTo(403);
    }

    @Test
    void tenantInputErrorsNameTheField() {
        var noName = api.post(OPERATOR_KEY, "/v1/tenants", Api.map("pricePerTonne", 5));
        assertThat(noName.status()).isEqualTo(400);
        assertThat(noName.text("field")).isEqualTo("name");
        var badCurrency = api.post(OPERATOR_KEY, "/v1/tenants", Api.map("name", "x", "currency", "usd"));
        assertThat(badCurrency.text("field")).isEqualTo("currency");
        var negative = api.post(OPERATOR_KEY, "/v1/tenants", Api.map("name", "x", "pricePerTonne", -1));
        assertThat(negative.text("field")).isEqualTo("pricePerTonne");
        var malformed = api.post(OPERATOR_KEY, "/v1/tenants", "{\"name\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.headers().firstValue("Content-Type").orElse("")).contains("application/problem+json");
    }

    @Test
    void workloadIsRegisteredWithModelFromCatalogAndCanBeRead() {
        Tenant tenant = newTenant(unique("w"), 10);
        UUID id = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-8B-Instruct", "europe-west4");
        var read = api.get(tenant.key(), "/v1/workloads/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().path("modelParamsBillion").decimalValue()).isEqualByComparingTo("8");
        assertThat(api.get(tenant.key(), "/v1/workloads").body().path("items").size()).isEqualTo(1);
    }

    @Test
    void regionIsMatchedCaseInsensitivelyAndStoredAsTheDatasetSpellsIt() {
        Tenant tenant = newTenant(unique("r"), 10);
        UUID id = newWorkload(tenant.key(), "azure", "google/gemma-2-9b-it", "eastus");
        assertThat(api.get(tenant.key(), "/v1/workloads/" + id).text("region")).isEqualTo("EastUS");
    }

    @Test
    void workloadErrors() {
        Tenant tenant = newTenant(unique("w"), 10);
        var unknownRegion = api.post(tenant.key(), "/v1/workloads", Api.map("name", "a", "model", "m",
                "modelParamsBillion", 7, "gpuModel", "H100", "gpuCount", 1, "region", "mars-north-1"));
        assertThat(unknownRegion.status()).isEqualTo(400);
        assertThat(unknownRegion.text("field")).isEqualTo("region");
        var unknownModel = api.post(tenant.key(), "/v1/workloads", Api.map("name", "a", "model", "my-own-model",
                "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1"));
        assertThat(unknownModel.text("field")).isEqualTo("modelParamsBillion");
        var zeroGpus = api.post(tenant.key(), "/v1/workloads", Api.map("name", "a", "model", "m",
                "modelParamsBillion", 7, "gpuModel", "H100", "gpuCount", 0, "region", "us-east-1"));
        assertThat(zeroGpus.text("field")).isEqualTo("gpuCount");
        newWorkload(tenant.key(), "dup", "google/gemma-2-9b-it", "us-east-1");
        var duplicate = api.post(tenant.key(), "/v1/workloads", Api.map("name", "dup", "model", "m",
                "modelParamsBillion", 7, "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1"));
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(jdbc.sql("select count(*) from workloads where tenant_id = ?").param(tenant.id())
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void aWorkloadServesFromItsRegistrationOrSinceWhenItSaysButNotFromTheFuture() {
        Tenant tenant = newTenant(unique("serving"), 10);
        var plain = api.post(tenant.key(), "/v1/workloads", Api.map("name", "now", "model", "google/gemma-2-9b-it",
                "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1"));
        assertThat(plain.status()).as(plain.toString()).isEqualTo(201);
        assertThat(plain.text("servingSince")).isEqualTo(plain.text("createdAt"));
        var backfilled = api.post(tenant.key(), "/v1/workloads", Api.map("name", "since", "model",
                "google/gemma-2-9b-it", "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1",
                "servingSince", START.minusSeconds(86_400).toString()));
        assertThat(backfilled.status()).as(backfilled.toString()).isEqualTo(201);
        assertThat(java.time.Instant.parse(backfilled.text("servingSince"))).isEqualTo(START.minusSeconds(86_400));
        var future = api.post(tenant.key(), "/v1/workloads", Api.map("name", "later", "model",
                "google/gemma-2-9b-it", "gpuModel", "H100", "gpuCount", 1, "region", "us-east-1",
                "servingSince", START.plusSeconds(1).toString()));
        assertThat(future.status()).isEqualTo(400);
        assertThat(future.text("field")).isEqualTo("servingSince");
        assertThat(future.text("detail")).isEqualTo("servingSince lies in the future");
    }

    @Test
    void anotherTenantsWorkloadIs404() {
        Tenant a = newTenant(unique("a"), 10);
        Tenant b = newTenant(unique("b"), 10);
        UUID workloadOfB = newWorkload(b.key(), "chat", "google/gemma-2-9b-it", "us-east-1");
        assertThat(api.get(a.key(), "/v1/workloads/" + workloadOfB).status()).isEqualTo(404);
        assertThat(api.get(a.key(), "/v1/workloads/" + UUID.randomUUID()).status()).isEqualTo(404);
    }
}
