package org.carbonledger.api;

import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.shared.Scope;
import org.carbonledger.support.Api;
import org.carbonledger.support.Endpoints;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tenant A, with a key of all tenant scopes, against tenant B's resources on every endpoint the application serves
 * (enumerated from its handler mappings, so a new endpoint is covered, or fails here until it is): reading, listing,
 * modifying and referencing B's resources is always {@code 404} (or {@code 400} naming the field that references a
 * foreign id; telemetry items naming a foreign workload are rejected one by one), never B's data, and B's resources
 * stay as they were.
 */
class TenantIsolationIntegrationTest extends IntegrationTest {

    /**
     * Telemetry whose items reference a workload, with the field of the refused item. Items are judged one by one:
     * the call answers {@code 200} and the item naming another tenant's workload is rejected.
     */
    static final Map<String, String> ITEM_REFERENCES = Map.of(
            "POST /v1/telemetry/requests", "requests[0].workloadId",
            "POST /v1/telemetry/energy", "samples[0].workloadId",
            "POST /v1/traces", "carbonledger.workload.id");
    /** Creating POSTs whose bodies reference no other resource (reviewed: nothing of another tenant to name). */
    static final Set<String> NO_BODY_REFERENCES = Set.of("POST /v1/workloads", "POST /v1/billing/periods/close",
            "POST /v1/api-keys", "POST /v1/estimates", "PUT /v1/billing/policy",
            // names a product of the catalog, which every tenant shares
            "PUT /v1/offsets/policy");

    /** GETs whose query names another resource: the parameter prefix to which tenant B's request id is appended. */
    static final Map<String, String> GET_REFERENCES = Map.of("GET /v1/log/proofs/inclusion", "?requestId=");
    /** GETs over the shared log (hashes only), with the query they need. */
    static final Map<String, String> GLOBAL_GETS = Map.of("GET /v1/log/proofs/consistency", "?first=1&second=1");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mapping;

    @Test
    void tenantANeverReachesTenantB() {
        // tenant B: the whole chain, so every kind of resource exists
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        newLot(unique("ISO"), 1, 1000, 2020);
        Tenant b = newTenant(unique("tenant-b"), 100);
        String bName = unique("b-secret-workload");
        UUID bWorkload = newWorkload(b.key(), bName, "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        String bRequest = unique("b-request");
        clock.set(Instant.parse("2026-10-15T00:00:00Z"));
        assertThat(ingest(b.key(), List.of(request(bRequest, bWorkload, 5000, 5000,
                Instant.parse("2026-10-10T00:00:00Z")))).status()).isEqualTo(200);
        // a measurement window of B's node (GET /v1/measurements/windows lists only the caller's)
        String bNode = unique("b-node");
        assertThat(api.post(b.key(), "/v1/telemetry/energy", Api.map("samples", List.of(
                Api.map("workloadId", bWorkload.toString(), "nodeId", bNode, "gpu", 0,
                        "sampledAt", "2026-10-10T00:00:00Z", "energyJoulesTotal", 0),
                Api.map("workloadId", bWorkload.toString(), "nodeId", bNode, "gpu", 0,
                        "sampledAt", "2026-10-10T00:05:00Z", "energyJoulesTotal", 1500)))).status()).isEqualTo(200);
        assertThat(api.post(OPERATOR_KEY, "/v1/measurements/attribution-runs", Map.of()).status()).isEqualTo(200);
        assertThat(api.get(b.key(), "/v1/measurements/windows?nodeId=" + bNode).body().path("items").size())
                .isEqualTo(1);
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(b.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        String bInvoice = invoice.text("id");
        String bInvoiceNumber = invoice.text("number");
        assertThat(api.post(b.key(), "/v1/invoices/" + bInvoice + "/payments", Api.map()).status()).isEqualTo(201);
        var receipt = api.get(b.key(), "/v1/receipts").body().path("items").get(0);
        String bReceipt = receipt.path("id").asString();
        String bSerial = api.get(b.key(), "/v1/offsets/retirements").body().path("items").get(0)
                .path("serialRange").asString().split(" to ")[0];
        var bKey = api.post(b.key(), "/v1/api-keys", Api.map("scopes", List.of("read")));
        String bKeyId = bKey.text("id");
        String bRetirement = api.get(b.key(), "/v1/offsets/retirements").body().path("items").get(0).path("id")
                .asString();
        List<String> bData = List.of(b.id().toString(), bWorkload.toString(), bName, bRequest, bInvoice,
                bInvoiceNumber, bReceipt, receipt.path("number").asString(), bKeyId, bKey.text("prefix"),
                bRetirement, bNode);
        Map<String, String> bResourceOf = Map.of("/v1/workloads/", bWorkload.toString(), "/v1/invoices/", bInvoice,
                "/v1/receipts/", bReceipt, "/v1/api-keys/", bKeyId, "/v1/trace/requests/", bRequest,
                "/v1/trace/receipts/", bReceipt, "/v1/trace/serials/", bSerial);

        Tenant a = newTenant(unique("tenant-a"), 100);
        newWorkload(a.key(), "a-workload", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");

        List<String> failures = new ArrayList<>();
        int tried = 0;
        for (var endpoint : Endpoints.of(mapping)) {
            if (endpoint.isPublic() || endpoint.scope().orElseThrow() == Scope.OPERATOR) {
                continue; // no tenant data behind them for a tenant key (operator scope: 403, see the matrix)
            }
            String name = endpoint.toString();
            Api.Response response;
            int expected;
            if (!endpoint.variables().isEmpty()) {
                String prefix = endpoint.path().substring(0, endpoint.path().indexOf('{'));
                String bId = bResourceOf.get(prefix);
                if (bId == null) {
                    failures.add(name + ": name tenant B's resource for " + prefix + " in this test");
                    continue;
                }
                response = call(a.key(), endpoint, endpoint.path(bId), "{}");
                expected = 404;
            } else if (GET_REFERENCES.containsKey(name)) {
                // a query naming tenant B's request: answered as if it did not exist
                response = call(a.key(), endpoint, endpoint.path() + GET_REFERENCES.get(name) + bRequest, null);
                expected = 404;
            } else if (GLOBAL_GETS.containsKey(name)) {
                // the log is one tree for all tenants; these answers carry hashes only, never tenant data
                response = call(a.key(), endpoint, endpoint.path() + GLOBAL_GETS.get(name), null);
                expected = 200;
            } else if (endpoint.method().equals("GET")) {
                response = call(a.key(), endpoint, endpoint.path(), null);
                expected = 200;
            } else if (ITEM_REFERENCES.containsKey(name)) {
                response = foreignItem(name, a, bWorkload, failures);
                expected = 200;
            } else if (NO_BODY_REFERENCES.contains(name)) {
                continue;
            } else {
                failures.add(name + ": review whether its body can reference another tenant's resources, then add "
                        + "it to ITEM_REFERENCES or NO_BODY_REFERENCES");
                continue;
            }
            tried++;
            if (response.status() != expected) {
                failures.add(name + ": expected " + expected + ", got " + response);
            }
            String body = response.body() == null ? new String(response.bytes()) : response.body().toString();
            for (String secret : bData) {
                // the id tenant A sent itself may be echoed in the problem's detail
                String sent = !endpoint.variables().isEmpty() ? bResourceOf.get(
                        endpoint.path().substring(0, endpoint.path().indexOf('{')))
                        : ITEM_REFERENCES.containsKey(name) ? bWorkload.toString()
                        : GET_REFERENCES.containsKey(name) ? bRequest : "";
                if (!secret.equals(sent) && body.contains(secret)) {
                    failures.add(name + ": the answer contains tenant B's " + secret);
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(tried).isGreaterThan(10);

        // B is untouched: its key works, its extra key is not revoked or rotated, its invoice is paid once
        assertThat(api.get(b.key(), "/v1/workloads/" + bWorkload).status()).isEqualTo(200);
        assertThat(api.get(bKey.text("apiKey"), "/v1/tenants/me").status()).isEqualTo(200);
        var keys = api.get(b.key(), "/v1/api-keys").body().toString();
        assertThat(keys).doesNotContain("revokedAt\":\"").doesNotContain("expiresAt\":\"");
        assertThat(api.get(b.key(), "/v1/api-keys").body().path("items").size()).isEqualTo(2);
        assertThat(api.get(b.key(), "/v1/invoices/" + bInvoice).text("status")).isEqualTo("PAID");
    }

    /**
     * Tenant A sends telemetry naming B's workload: the item is refused in the per-item answer (the call itself
     * succeeds, as for any batch) and nothing is stored against B's workload.
     */
    private Api.Response foreignItem(String name, Tenant a, UUID bWorkload, List<String> failures) {
        long storedBefore = storedFor(bWorkload);
        Api.Response response;
        String field = ITEM_REFERENCES.get(name);
        if (name.equals("POST /v1/traces")) {
            long end = Instant.parse("2026-10-31T12:00:00Z").getEpochSecond() * 1_000_000_000L;
            String body = """
                    {"resourceSpans":[{"resource":{"attributes":[
                        {"key":"carbonledger.workload.id","value":{"stringValue":"%s"}}]},
                      "scopeSpans":[{"spans":[
                        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"00000000000000e1","name":"chat",
                         "startTimeUnixNano":"%d","endTimeUnixNano":"%d",
                         "attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}},
                                       {"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}},
                                       {"key":"gen_ai.usage.output_tokens","value":{"intValue":"5"}}]}]}]}]}
                    """.formatted(bWorkload, end - 1_000_000_000L, end);
            response = api.postBytes(a.key(), "/v1/traces", body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "application/json");
            var partial = response.body() == null ? null : response.body().path("partialSuccess");
            if (partial == null || partial.path("rejectedSpans").asLong(0) != 1
                    || !partial.path("errorMessage").asString("").contains("does not exist")) {
                failures.add(name + ": a span naming tenant B's workload is rejected as unknown in partialSuccess, got "
                        + response);
            }
        } else {
            Object item = name.equals("POST /v1/telemetry/energy")
                    ? Api.map("workloadId", bWorkload.toString(), "nodeId", "node-1", "gpu", 0,
                            "sampledAt", "2026-10-31T12:00:00Z", "energyJoulesTotal", 1000)
                    : request(unique("a"), bWorkload, 1, 1, Instant.parse("2026-10-31T12:00:00Z"));
            response = api.post(a.key(), name.substring("POST ".length()),
                    Api.map(field.substring(0, field.indexOf('[')), List.of(item)));
            var result = response.body() == null ? null : response.body().path("items").path(0);
            if (result == null || !result.path("status").asString("").equals("REJECTED")
                    || !result.path("field").asString("").equals(field)) {
                failures.add(name + ": an item naming tenant B's workload is REJECTED with field " + field + ", got "
                        + response);
            }
        }
        if (storedFor(bWorkload) != storedBefore) {
            failures.add(name + ": stored something against tenant B's workload");
        }
        return response;
    }

    private long storedFor(UUID workload) {
        return jdbc.sql("select (select count(*) from inference_requests where workload_id = ?)"
                + " + (select count(*) from energy_measurements where workload_id = ?)")
                .params(workload, workload).query(Long.class).single();
    }

    private Api.Response call(String key, Endpoints.Endpoint endpoint, String path, String body) {
        boolean withBody = endpoint.method().equals("POST");
        return api.send(key, endpoint.method(), path,
                withBody ? HttpRequest.BodyPublishers.ofString(body == null ? "{}" : body) : null, "application/json");
    }
}
