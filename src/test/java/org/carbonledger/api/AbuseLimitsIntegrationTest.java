package org.carbonledger.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.carbonledger.shared.web.RateLimiter;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-key rate limits, request-size limits and the audit log of administrative actions. */
class AbuseLimitsIntegrationTest extends IntegrationTest {

    @Autowired
    RateLimiter limiter;

    @Test
    void aKeyOverItsApiLimitGets429WithRetryAfterWhileOtherKeysGoOn() {
        Tenant tenant = newTenant(unique("limited"), 100);
        Tenant other = newTenant(unique("unlimited"), 100);
        api.get(other.key(), "/v1/tenants/me"); // its bucket exists with the suite's limits
        var previous = limiter.limits();
        limiter.limits(new RateLimiter.Limits(3, 2));
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(api.get(tenant.key(), "/v1/tenants/me").status()).isEqualTo(200);
            }
            var limited = api.get(tenant.key(), "/v1/tenants/me");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Content-Type").orElseThrow())
                    .startsWith("application/problem+json");
            assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()))
                    .isBetween(1L, 60L);
            assertThat(limited.text("title")).isEqualTo("Too many requests");
            assertThat(api.get(other.key(), "/v1/tenants/me").status()).as("buckets are per key").isEqualTo(200);

            // ingest has its own bucket (records of an unknown workload: answered, each rejected)
            UUID workload = UUID.randomUUID();
            for (int i = 0; i < 2; i++) {
                assertThat(ingest(tenant.key(), List.of(request("r" + i, workload, 1, 1, START))).status())
                        .isEqualTo(200);
            }
            var ingestLimited = ingest(tenant.key(), List.of(request("r9", workload, 1, 1, START)));
            assertThat(ingestLimited.status()).isEqualTo(429);
            assertThat(ingestLimited.headers().firstValue("Retry-After")).isPresent();
        } finally {
            limiter.limits(previous);
        }
    }

    @Test
    void aBodyOverTheLimitIs413() {
        Tenant tenant = newTenant(unique("big"), 100);
        String huge = "{\"name\":\"" + "x".repeat(1_100_000) + "\"}";
        var declared = api.post(tenant.key(), "/v1/workloads", huge);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.text("field")).isEqualTo("body");
        assertThat(declared.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
    }

    @Test
    void aStreamedBodyOverTheLimitIs413() throws Exception {
        Tenant tenant = newTenant(unique("big-chunked"), 100);
        byte[] chunk = "x".repeat(1000).getBytes();
        List<byte[]> chunks = new ArrayList<>();
        chunks.add("{\"name\":\"".getBytes());
        for (int i = 0; i < 1200; i++) {
            chunks.add(chunk);
        }
        chunks.add("\"}".getBytes());
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/v1/workloads"))
                .header("Authorization", "Bearer " + tenant.key()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArrays(chunks)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(Api.JSON.readTree(response.body()).path("title").asString()).isEqualTo("Content too large");
    }

    @Test
    void administrativeActionsAreAuditedWithWhoWhatWhenAndWhere() {
        clock.set(START.plusSeconds(3600));
        Tenant tenant = newTenant(unique("audited"), 100);
        var key = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of("read")));
        api.post(tenant.key(), "/v1/api-keys/" + key.text("id") + "/rotate", Api.map());
        api.send(tenant.key(), "DELETE", "/v1/api-keys/" + key.text("id"), null, null);
        UUID lot = newLot(unique("AUD"), 1, 10, 2020);

        List<JsonNode> events = new ArrayList<>();
        String cursor = null;
        do {
            var page = api.get(OPERATOR_KEY, "/v1/audit-events?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            page.body().path("items").forEach(events::add);
            cursor = page.body().path("nextCursor").isString() ? page.body().path("nextCursor").asString() : null;
        } while (cursor != null && events.size() < 2000);
        String tenantPrefix = tenant.key().substring(4, 12);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("TENANT_CREATED");
            assertThat(e.path("targetId").asString()).isEqualTo(tenant.id().toString());
            assertThat(e.path("actorRole").asString()).isEqualTo("OPERATOR");
            assertThat(e.path("actorKeyPrefix").asString()).startsWith("op-");
            assertThat(e.path("occurredAt").asString()).isEqualTo("2026-10-01T09:00:00Z");
            assertThat(e.path("remoteAddress").asString()).isEqualTo("127.0.0.1");
        });
        for (String action : List.of("API_KEY_CREATED", "API_KEY_ROTATED", "API_KEY_REVOKED")) {
            assertThat(events).as(action).anySatisfy(e -> {
                assertThat(e.path("action").asString()).isEqualTo(action);
                assertThat(e.path("actorKeyPrefix").asString()).isEqualTo(tenantPrefix);
                assertThat(e.path("actorTenantId").asString()).isEqualTo(tenant.id().toString());
            });
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("OFFSET_LOT_CREATED");
            assertThat(e.path("targetId").asString()).isEqualTo(lot.toString());
        });
        assertThat(api.get(tenant.key(), "/v1/audit-events").status()).isEqualTo(403);
        assertThat(api.get(OPERATOR_KEY, "/v1/audit-events?cursor=garbage").text("field")).isEqualTo("cursor");
        assertThat(api.get(OPERATOR_KEY, "/v1/audit-events?limit=0").text("field")).isEqualTo("limit");
    }
}
