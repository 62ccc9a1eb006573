package org.carbonledger.workload;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ApiKeysIntegrationTest extends IntegrationTest {

    @Test
    void aKeyIsCreatedWithItsScopesShownOnceAndListedWithoutItsSecret() {
        Tenant tenant = newTenant(unique("keys"), 100);
        var created = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("ingest", "read")));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String key = created.text("apiKey");
        assertThat(key).startsWith("clk_" + created.text("prefix") + "_");
        assertThat(created.body().path("scopes").toString()).isEqualTo("[\"ingest\",\"read\"]");

        assertThat(api.get(key, "/v1/workloads").status()).isEqualTo(200);
        assertThat(api.get(key, "/v1/api-keys").status()).as("no billing-admin scope").isEqualTo(403);

        var listed = api.get(tenant.key(), "/v1/api-keys");
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body().path("items").size()).isEqualTo(2);
        assertThat(listed.body().toString()).doesNotContain(key.substring(key.lastIndexOf('_') + 1))
                .doesNotContain(tenant.key().substring(tenant.key().lastIndexOf('_') + 1));
        var first = item(listed.body(), tenant.key().substring(4, 12));
        assertThat(first.path("scopes").toString()).isEqualTo("[\"ingest\",\"read\",\"billing-admin\"]");
        assertThat(first.path("lastUsedAt").asString()).as("the first key was used to list").isNotBlank();
        assertThat(item(listed.body(), created.text("prefix")).path("lastUsedAt").asString()).isNotBlank();
        assertThat(jdbc.sql("select prefix from api_keys where secret_hash = sha256(convert_to(?, 'UTF8'))")
                .param(key).query(String.class).single()).as("stored as its SHA-256 only, found by prefix")
                .isEqualTo(created.text("prefix"));
    }

    private static tools.jackson.databind.JsonNode item(tools.jackson.databind.JsonNode page, String prefix) {
        for (var item : page.path("items")) {
            if (item.path("prefix").asString().equals(prefix)) {
                return item;
            }
        }
        throw new AssertionError("no key " + prefix + " in " + page);
    }

    @Test
    void unknownOrMissingScopesAreRefusedNamingTheField() {
        Tenant tenant = newTenant(unique("keys-bad"), 100);
        var unknown = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("read", "operator")));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.text("field")).isEqualTo("scopes[1]");
        var none = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of()));
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.text("field")).isEqualTo("scopes");
    }

    @Test
    void aRevokedKeyIsUnauthorizedAtOnce() {
        Tenant tenant = newTenant(unique("revoke"), 100);
        var created = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("read")));
        String key = created.text("apiKey");
        assertThat(api.get(key, "/v1/tenants/me").status()).isEqualTo(200);

        var revoked = api.send(tenant.key(), "DELETE", "/v1/api-keys/" + created.text("id"), null, null);
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        assertThat(revoked.text("revokedAt")).isNotBlank();
        var refused = api.get(key, "/v1/tenants/me");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.text("detail")).isEqualTo("the API key is unknown, revoked or expired");
        assertThat(api.send(tenant.key(), "DELETE", "/v1/api-keys/" + created.text("id"), null, null).status())
                .as("revoking again changes nothing").isEqualTo(200);
        var rotateRevoked = api.post(tenant.key(), "/v1/api-keys/" + created.text("id") + "/rotate", Api.map());
        assertThat(rotateRevoked.status()).isEqualTo(409);
    }

    @Test
    void rotationKeepsTheOldKeyWorkingForTheGracePeriodOnly() {
        Tenant tenant = newTenant(unique("rotate"), 100);
        var created = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("ingest")));
        String old = created.text("apiKey");

        var rotated = api.post(tenant.key(), "/v1/api-keys/" + created.text("id") + "/rotate", Api.map());
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(201);
        String fresh = rotated.text("apiKey");
        assertThat(fresh).isNotEqualTo(old);
        assertThat(rotated.body().path("scopes").toString()).isEqualTo("[\"ingest\"]");

        var workload = Api.map("name", "w", "model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "gpuModel", "H100",
                "gpuCount", 1, "region", "us-east-1");
        clock.advance(Duration.ofHours(23));
        assertThat(api.post(old, "/v1/workloads", workload).status()).as("within the grace period").isEqualTo(201);
        assertThat(api.post(tenant.key(), "/v1/api-keys/" + created.text("id") + "/rotate", Api.map()).status())
                .as("a rotated key is not rotated again").isEqualTo(409);
        clock.advance(Duration.ofHours(1));
        assertThat(api.get(old, "/v1/workloads").status()).as("after the grace period").isEqualTo(401);
        workload.put("name", "w2");
        assertThat(api.post(fresh, "/v1/workloads", workload).status()).isEqualTo(201);
        var listed = api.get(tenant.key(), "/v1/api-keys").body();
        assertThat(item(listed, created.text("prefix")).path("expiresAt").asString())
                .isEqualTo("2026-10-02T08:00:00Z");
        assertThat(item(listed, rotated.text("prefix")).path("expiresAt").isNull()).isTrue();
    }

    @Test
    void anotherTenantsKeysAreNotFound() {
        Tenant a = newTenant(unique("keys-a"), 100);
        Tenant b = newTenant(unique("keys-b"), 100);
        String bKeyId = api.get(b.key(), "/v1/api-keys").body().path("items").get(0).path("id").asString();
        assertThat(api.send(a.key(), "DELETE", "/v1/api-keys/" + bKeyId, null, null).status()).isEqualTo(404);
        assertThat(api.post(a.key(), "/v1/api-keys/" + bKeyId + "/rotate", Api.map()).status()).isEqualTo(404);
        assertThat(api.get(b.key(), "/v1/tenants/me").status()).isEqualTo(200);
        assertThat(api.send(a.key(), "DELETE", "/v1/api-keys/" + UUID.randomUUID(), null, null).status())
                .isEqualTo(404);
    }
}
