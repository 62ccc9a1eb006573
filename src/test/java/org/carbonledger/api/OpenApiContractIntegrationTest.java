package org.carbonledger.api;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds the hand-written contract {@code docs/api/openapi.yaml} against the running application: against the model
 * springdoc derives from the controllers ({@code /v3/api-docs}) and against real requests and responses.
 *
 * <p>Where springdoc's model and the server disagree, the real responses win. Known gaps of springdoc's model:
 * <ul>
 *   <li>it never marks a property nullable, while Jackson writes {@code null} for absent values (e.g. {@code pue},
 *       {@code paidAt}, the links of a trace): nullability is checked against real bodies only;</li>
 *   <li>the telemetry batch and its records are validated in code ({@code RequestIngest}), not by bean validation,
 *       so springdoc lists no required properties for them: those are checked by real requests instead;</li>
 *   <li>{@code @DecimalMax(inclusive = false)} appears as an inclusive {@code maximum}; the contract says
 *       {@code exclusiveMaximum}, which is what the server enforces;</li>
 *   <li>{@code byte[]} bodies appear as {@code format: byte} (base64); they are raw PDF bytes ({@code binary}).</li>
 * </ul>
 */
class OpenApiContractIntegrationTest extends IntegrationTest {

    static final Path CONTRACT = Path.of("docs/api/openapi.yaml");
    static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
    /** Documented schemas whose required properties the server checks in code, invisible to springdoc. */
    static final Set<String> REQUIRED_CHECKED_IN_CODE = Set.of("IngestBatch", "RequestRecord", "EnergyBatch",
            "EnergySample");
    /** Paths the API key filter lets through: receipt verification, and Stripe webhooks (signed instead). */
    static final Set<String> UNAUTHENTICATED = Set.of("/v1/receipts/verify", "/v1/webhooks/stripe");
    static final List<String> CONSTRAINTS = List.of("minimum", "maximum", "maxLength", "pattern", "enum");

    record Op(String method, String path) {
        @Override
        public String toString() {
            return method.toUpperCase() + " " + path;
        }
    }

    private JsonNode contract;
    private JsonNode runtime;

    @BeforeEach
    void loadModels() throws IOException {
        try (Reader reader = Files.newBufferedReader(CONTRACT)) {
            Object yaml = new Yaml().load(reader);
            contract = Api.JSON.valueToTree(yaml);
        }
        var docs = api.get(null, "/v3/api-docs");
        assertThat(docs.status()).as(docs.toString()).isEqualTo(200);
        runtime = docs.body();
    }

    // --- the contract against springdoc's model of the controllers -------------------------------------------------

    @Test
    void documentsExactlyTheServedOperations() {
        Set<Op> documented = operations(contract).keySet();
        Set<Op> served = operations(runtime).keySet();
        Set<Op> undocumented = new TreeSet<>(java.util.Comparator.comparing(Op::toString));
        undocumented.addAll(served);
        undocumented.removeAll(documented);
        Set<Op> notServed = new TreeSet<>(java.util.Comparator.comparing(Op::toString));
        notServed.addAll(documented);
        notServed.removeAll(served);
        assertThat(undocumented).as("served under /v1 but not in %s", CONTRACT).isEmpty();
        assertThat(notServed).as("in %s but not served", CONTRACT).isEmpty();
    }

    @Test
    void documentedOperationsAreComplete() {
        List<String> failures = new ArrayList<>();
        Set<String> tags = Set.of("tenants", "workloads", "telemetry", "estimates", "emission-factors", "billing",
                "emissions", "measurements", "offsets", "receipts", "trace", "api-keys", "audit");
        Set<String> operationIds = new LinkedHashSet<>();
        operations(contract).forEach((op, operation) -> {
            if (!operationIds.add(operation.path("operationId").asString(""))) {
                failures.add(op + ": missing or repeated operationId");
            }
            if (operation.path("summary").asString("").isBlank()) {
                failures.add(op + ": no summary");
            }
            if (operation.path("tags").size() != 1 || !tags.contains(operation.path("tags").get(0).asString())) {
                failures.add(op + ": tags " + operation.path("tags") + " not one of " + tags);
            }
            Set<String> codes = new LinkedHashSet<>(operation.path("responses").propertyNames());
            boolean open = operation.has("security") && operation.path("security").size() == 0;
            if (open != UNAUTHENTICATED.contains(op.path())) {
                failures.add(op + ": only " + UNAUTHENTICATED + " have security: []");
            }
            if (!open && !codes.containsAll(List.of("401", "403"))) {
                failures.add(op + ": an authenticated operation documents 401 and 403, has " + codes);
            }
            if (op.path().contains("/{id}") && !codes.containsAll(List.of("400", "404"))) {
                failures.add(op + ": a UUID path parameter gives 400 and 404, has " + codes);
            }
            for (var response : operation.path("responses").properties()) {
                JsonNode content = deref(contract, response.getValue()).path("content");
                String expected = response.getKey().startsWith("2") ? null : "application/problem+json";
                if (expected != null && !content.has(expected)) {
                    failures.add(op + " " + response.getKey() + ": errors are " + expected);
                }
            }
        });
        assertThat(failures).as("incomplete operations in %s", CONTRACT).isEmpty();
    }

    @Test
    void documentedSuccessStatusesAreTheServedOnes() {
        List<String> failures = new ArrayList<>();
        Map<Op, JsonNode> served = operations(runtime);
        operations(contract).forEach((op, documented) -> {
            JsonNode actual = served.get(op);
            if (actual == null) {
                return; // reported by documentsExactlyTheServedOperations
            }
            Set<String> documentedCodes = successCodes(documented);
            Set<String> servedCodes = successCodes(actual);
            if (!documentedCodes.equals(servedCodes)) {
                failures.add(op + ": documented success " + documentedCodes + ", runtime model " + servedCodes);
            }
            for (String code : documentedCodes) {
                Set<String> documentedTypes = mediaTypes(contract, documented.path("responses").path(code));
                Set<String> servedTypes = mediaTypes(runtime, actual.path("responses").path(code));
                if (servedCodes.contains(code) && !documentedTypes.equals(servedTypes)) {
                    failures.add(op + " " + code + ": documented media types " + documentedTypes + ", runtime model "
                            + servedTypes);
                }
            }
        });
        assertThat(failures).as("success responses of %s against /v3/api-docs", CONTRACT).isEmpty();
    }

    @Test
    void documentedRequestBodiesMatchTheControllers() {
        List<String> failures = new ArrayList<>();
        Map<Op, JsonNode> served = operations(runtime);
        operations(contract).forEach((op, documented) -> {
            JsonNode actual = served.get(op);
            if (actual == null) {
                return;
            }
            JsonNode documentedBody = deref(contract, documented.path("requestBody"));
            JsonNode servedBody = deref(runtime, actual.path("requestBody"));
            Set<String> documentedTypes = new TreeSet<>(documentedBody.path("content").propertyNames());
            Set<String> servedTypes = new TreeSet<>(servedBody.path("content").propertyNames());
            if (!documentedTypes.equals(servedTypes)) {
                failures.add(op + " request body: documented media types " + documentedTypes + ", runtime model "
                        + servedTypes);
                return;
            }
            if (documentedTypes.contains("application/json")) {
                compareSchemas(documentedBody.path("content").path("application/json").path("schema"),
                        servedBody.path("content").path("application/json").path("schema"),
                        op + " request body $", true, failures);
            }
        });
        assertThat(failures).as("request bodies of %s against /v3/api-docs", CONTRACT).isEmpty();
    }

    @Test
    void documentedResponseBodiesMatchTheControllers() {
        List<String> failures = new ArrayList<>();
        Map<Op, JsonNode> served = operations(runtime);
        operations(contract).forEach((op, documented) -> {
            JsonNode actual = served.get(op);
            if (actual == null) {
                return;
            }
            for (String code : successCodes(documented)) {
                JsonNode documentedSchema = deref(contract, documented.path("responses").path(code))
                        .path("content").path("application/json").path("schema");
                if (documentedSchema.isMissingNode()) {
                    continue;
                }
                JsonNode servedSchema = deref(runtime, actual.path("responses").path(code))
                        .path("content").path("application/json").path("schema");
                if (servedSchema.isMissingNode()) {
                    failures.add(op + " " + code + ": no application/json schema in the runtime model");
                    continue;
                }
                compareSchemas(documentedSchema, servedSchema, op + " " + code + " $", false, failures);
            }
        });
        assertThat(failures).as("response bodies of %s against /v3/api-docs", CONTRACT).isEmpty();
    }

    // --- the contract against real requests ------------------------------------------------------------------------

    @Test
    void theWholeChainAnswersAsDocumented() {
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        String prefix = unique("VCS-api");
        String project = unique("981");
        call(OPERATOR_KEY, "post", "/v1/offsets/products", "/v1/offsets/products", 201, Api.map("registry", "VERRA",
                "projectId", project, "name", "Rimba Raya", "kind", "REMOVAL", "methodology", "VM0004",
                "country", "ID", "pricePerTonne", 30, "currency", "USD"));
        call(OPERATOR_KEY, "post", "/v1/offsets/lots", "/v1/offsets/lots", 201, Api.map("registry", "VERRA",
                "projectId", project, "vintage", 2019,
                "serialPrefix", prefix, "serialFirst", 1, "serialLast", 100, "pricePerTonne", 25, "currency", "USD"));
        var lots = call(OPERATOR_KEY, "get", "/v1/offsets/lots", "/v1/offsets/lots", 200, null);

        var tenant = call(OPERATOR_KEY, "post", "/v1/tenants", "/v1/tenants", 201,
                Api.map("name", unique("Contract Co"), "currency", "EUR", "pricePerTonne", 150));
        String key = tenant.text("apiKey");
        call(key, "get", "/v1/tenants/me", "/v1/tenants/me", 200, null);
        call(key, "get", "/v1/offsets/products", "/v1/offsets/products", 200, null);

        var apiKey = call(key, "post", "/v1/api-keys", "/v1/api-keys", 201, Api.map("scopes", List.of("read")));
        String apiKeyId = apiKey.text("id");
        call(apiKey.text("apiKey"), "get", "/v1/tenants/me", "/v1/tenants/me", 200, null);
        call(key, "post", "/v1/api-keys/{id}/rotate", "/v1/api-keys/" + apiKeyId + "/rotate", 201, Api.map());
        call(key, "get", "/v1/api-keys", "/v1/api-keys", 200, null);
        call(key, "delete", "/v1/api-keys/{id}", "/v1/api-keys/" + apiKeyId, 200, null);
        call(OPERATOR_KEY, "get", "/v1/audit-events", "/v1/audit-events?limit=3", 200, null);

        var workload = call(key, "post", "/v1/workloads", "/v1/workloads", 201, Api.map("name", "chat",
                "model", "meta-llama/Meta-Llama-3.1-405B-Instruct", "gpuModel", "H100", "gpuCount", 4,
                "region", "us-east-1"));
        assertThat(workload.body().path("pue").isNull()).as("pue is null when not given").isTrue();
        UUID workloadId = UUID.fromString(workload.text("id"));
        call(key, "get", "/v1/workloads", "/v1/workloads", 200, null);
        call(key, "get", "/v1/workloads/{id}", "/v1/workloads/" + workloadId, 200, null);
        call(key, "post", "/v1/workloads", "/v1/workloads", 409, Api.map("name", "chat",
                "model", "meta-llama/Meta-Llama-3.1-405B-Instruct", "gpuModel", "H100", "gpuCount", 4,
                "region", "us-east-1"));

        clock.set(Instant.parse("2026-10-05T12:00:00Z"));
        var batch = Api.map("requests", List.of(
                request("req-1", workloadId, 800, 400, clock.instant().minusSeconds(60)),
                request("req-2", workloadId, 1200, 90, clock.instant().minusSeconds(30))));
        var first = call(key, "post", "/v1/telemetry/requests", "/v1/telemetry/requests", 200, batch);
        assertThat(first.body().path("accepted").asInt()).isEqualTo(2);
        var retry = call(key, "post", "/v1/telemetry/requests", "/v1/telemetry/requests", 200, batch);
        assertThat(retry.body().path("duplicates").asInt()).as("ingest is idempotent per requestId").isEqualTo(2);

        var unbilled = call(key, "get", "/v1/trace/requests/{requestId}", "/v1/trace/requests/req-1", 200, null);
        assertThat(unbilled.body().path("invoiceLine").isNull()).isTrue();
        assertThat(unbilled.body().path("receipt").isNull()).isTrue();

        call(key, "post", "/v1/billing/periods/close", "/v1/billing/periods/close", 409, Api.map("period", "2026-10"));
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var closed = call(key, "post", "/v1/billing/periods/close", "/v1/billing/periods/close", 201,
                Api.map("period", "2026-10"));
        String invoiceId = closed.text("id");
        assertThat(closed.body().path("paidAt").isNull()).isTrue();
        var again = call(key, "post", "/v1/billing/periods/close", "/v1/billing/periods/close", 200,
                Api.map("period", "2026-10"));
        assertThat(again.text("id")).as("closing a closed period returns its invoice").isEqualTo(invoiceId);
        call(key, "get", "/v1/invoices", "/v1/invoices", 200, null);
        call(key, "get", "/v1/invoices/{id}", "/v1/invoices/" + invoiceId, 200, null);

        call(key, "post", "/v1/invoices/{id}/payments", "/v1/invoices/" + invoiceId + "/payments", 201,
                Api.map("reference", unique("bank-transfer"))); // references are unique across all payments
        var paidTwice = call(key, "post", "/v1/invoices/{id}/payments", "/v1/invoices/" + invoiceId + "/payments",
                409, Api.map());
        assertThat(paidTwice.text("title")).isEqualTo("Conflict");
        call(key, "get", "/v1/offsets/retirements", "/v1/offsets/retirements", 200, null);
        call(key, "put", "/v1/offsets/policy", "/v1/offsets/policy", 200, Api.map("minVintage", 2019,
                "registries", java.util.List.of("VERRA", "PURO_EARTH"), "retirementOrder", "LOWEST_PRICE_FIRST"));
        call(key, "get", "/v1/offsets/policy", "/v1/offsets/policy", 200, null);
        call(key, "get", "/v1/offsets/coverage", "/v1/offsets/coverage?from=2026-09-01&to=2026-11-01", 200, null);
        var tooMany = call(OPERATOR_KEY, "post", "/v1/operator/retirements", "/v1/operator/retirements", 409,
                Api.map("tenantId", tenant.text("id"), "lotId", lots.body().path("items").get(0).path("id").asString(),
                        "tonnes", 1_000_000_000, "registryRetirementId", unique("RET"), "reason", "contract"));
        assertThat(tooMany.text("field")).isIn("tonnes", "lotId");
        var ofTenant = call(OPERATOR_KEY, "get", "/v1/operator/retirements", "/v1/operator/retirements?tenantId="
                + tenant.text("id"), 200, null);
        assertThat(ofTenant.body().path("items").size()).isPositive();
        ofTenant.body().path("items").forEach(r -> assertThat(r.path("tenantId").asString())
                .isEqualTo(tenant.text("id")));
        var summary = call(key, "get", "/v1/emissions/summary", "/v1/emissions/summary?from=2026-10-01&to=2026-11-01",
                200, null);
        assertThat(summary.body().path("rows").size()).isEqualTo(1);

        var receipts = call(key, "get", "/v1/receipts", "/v1/receipts", 200, null);
        String receiptId = receipts.body().path("items").get(0).path("id").asString();
        call(key, "get", "/v1/receipts/{id}", "/v1/receipts/" + receiptId, 200, null);
        var pdf = call(key, "get", "/v1/receipts/{id}/pdf", "/v1/receipts/" + receiptId + "/pdf", 200, null);
        assertThat(new String(pdf.bytes(), 0, 5)).isEqualTo("%PDF-");

        var verified = call(null, "post", "/v1/receipts/verify", pdf.bytes(), "application/pdf", 200);
        assertThat(verified.body().path("valid").asBoolean()).as(verified.toString()).isTrue();
        var foreign = call(null, "post", "/v1/receipts/verify", "not a pdf".getBytes(), "application/octet-stream",
                200);
        assertThat(foreign.body().path("valid").asBoolean()).isFalse();
        call(null, "post", "/v1/receipts/verify", new byte[0], "application/pdf", 400);
        call(null, "post", "/v1/receipts/verify", "{}".getBytes(), "application/json", 415);

        var trace = call(key, "get", "/v1/trace/requests/{requestId}", "/v1/trace/requests/req-1", 200, null);
        assertThat(trace.body().path("receipt").path("id").asString()).isEqualTo(receiptId);
        assertThat(trace.body().path("allocations").size()).isPositive();

        // another tenant's resources are not found
        String other = call(OPERATOR_KEY, "post", "/v1/tenants", "/v1/tenants", 201,
                Api.map("name", unique("other"))).text("apiKey");
        call(other, "get", "/v1/invoices/{id}", "/v1/invoices/" + invoiceId, 404, null);
        call(other, "get", "/v1/receipts/{id}/pdf", "/v1/receipts/" + receiptId + "/pdf", 404, null);
        call(other, "get", "/v1/trace/requests/{requestId}", "/v1/trace/requests/req-1", 404, null);
    }

    @Test
    void everyDocumentedErrorStatusHappens() {
        Tenant tenant = newTenant(unique("errors"), 100);

        var missingKey = call(null, "get", "/v1/workloads", "/v1/workloads", 401, null);
        assertThat(missingKey.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        call("not-a-key", "get", "/v1/workloads", "/v1/workloads", 401, null);

        var tenantKeyOnOperatorEndpoint = call(tenant.key(), "post", "/v1/tenants", "/v1/tenants", 403,
                Api.map("name", "x"));
        assertThat(tenantKeyOnOperatorEndpoint.text("title")).isEqualTo("Scope required");
        call(OPERATOR_KEY, "get", "/v1/workloads", "/v1/workloads", 403, null);

        call(tenant.key(), "get", "/v1/workloads/{id}", "/v1/workloads/" + UUID.randomUUID(), 404, null);

        var invalid = call(tenant.key(), "post", "/v1/workloads", "/v1/workloads", 400, Api.map("name", "w",
                "model", "meta-llama/Meta-Llama-3.1-405B-Instruct", "gpuModel", "H100", "region", "us-east-1"));
        assertThat(invalid.text("field")).isEqualTo("gpuCount");
        assertThat(invalid.body().path("errors").get(0).path("field").asString()).isEqualTo("gpuCount");
        var badId = call(tenant.key(), "get", "/v1/workloads/{id}", "/v1/workloads/not-a-uuid", 400, null);
        assertThat(badId.text("field")).isEqualTo("id");
        var badPeriod = call(tenant.key(), "post", "/v1/billing/periods/close", "/v1/billing/periods/close", 400,
                Api.map("period", "2026-13"));
        assertThat(badPeriod.text("field")).isEqualTo("period");
        var badWindow = call(tenant.key(), "get", "/v1/emissions/summary",
                "/v1/emissions/summary?from=2026-10-02&to=2026-10-01", 400, null);
        assertThat(badWindow.text("field")).isEqualTo("to");
        call(OPERATOR_KEY, "get", "/v1/emissions/summary", "/v1/emissions/summary", 403, null);
        var tenantOnOperatorRetirements = call(tenant.key(), "get", "/v1/operator/retirements",
                "/v1/operator/retirements?tenantId=" + UUID.randomUUID(), 403, null);
        assertThat(tenantOnOperatorRetirements.text("title")).isEqualTo("Scope required");
        var badTenantId = call(OPERATOR_KEY, "get", "/v1/operator/retirements",
                "/v1/operator/retirements?tenantId=not-a-uuid", 400, null);
        assertThat(badTenantId.text("field")).isEqualTo("tenantId");
        var badEnum = call(OPERATOR_KEY, "post", "/v1/offsets/lots", "/v1/offsets/lots", 400,
                Api.map("registry", "NOPE"));
        assertThat(badEnum.text("field")).isEqualTo("registry");

        String prefix = unique("VCS-overlap");
        ensureProduct("GOLD_STANDARD", "GS-1", "AVOIDANCE");
        var lot = Api.map("registry", "GOLD_STANDARD", "projectId", "GS-1", "vintage", 2021, "serialPrefix", prefix, "serialFirst", 10, "serialLast", 20,
                "pricePerTonne", 12.5, "currency", "USD");
        call(OPERATOR_KEY, "post", "/v1/offsets/lots", "/v1/offsets/lots", 201, lot);
        var overlap = call(OPERATOR_KEY, "post", "/v1/offsets/lots", "/v1/offsets/lots", 409, lot);
        assertThat(overlap.text("field")).isEqualTo("serialFirst");
    }

    /** The telemetry batch is validated in code, so its required properties are proven here, one by one. */
    @Test
    void everyDocumentedRequiredTelemetryPropertyIsRequired() {
        Tenant tenant = newTenant(unique("telemetry"), 100);
        UUID workload = newWorkload(tenant.key(), "w", "meta-llama/Meta-Llama-3.1-405B-Instruct", "us-east-1");
        String op = "/v1/telemetry/requests";

        JsonNode batch = schema(contract, contract.at("/components/schemas/IngestBatch"));
        for (JsonNode name : batch.path("required")) {
            var response = call(tenant.key(), "post", op, op, 400, Map.of());
            assertThat(response.text("field")).as("batch without %s", name.asString()).isEqualTo(name.asString());
        }
        var empty = call(tenant.key(), "post", op, op, 400, Api.map("requests", List.of()));
        assertThat(empty.text("field")).isEqualTo("requests");
        int max = batch.path("properties").path("requests").path("maxItems").asInt();
        assertThat(max).as("maxItems of the batch").isEqualTo(org.carbonledger.telemetry.RequestIngest.MAX_BATCH);
        List<Object> tooMany = new ArrayList<>();
        for (int i = 0; i <= max; i++) {
            tooMany.add(request("big-" + i, workload, 1, 1, START.minusSeconds(60)));
        }
        var oversized = call(tenant.key(), "post", op, op, 400, Api.map("requests", tooMany));
        assertThat(oversized.text("field")).isEqualTo("requests");

        JsonNode record = schema(contract, contract.at("/components/schemas/RequestRecord"));
        Set<String> required = new TreeSet<>();
        record.path("required").forEach(n -> required.add(n.asString()));
        Set<String> optional = Set.of("nodeId"); // measured mode only; checked by MeasuredModeIntegrationTest
        Set<String> properties = new TreeSet<>(record.path("properties").propertyNames());
        properties.removeAll(optional);
        assertThat(required).as("RequestRecord.required").isEqualTo(properties);
        for (String name : required) {
            Map<String, Object> item = request("req-" + name, workload, 10, 10, START.minusSeconds(60));
            item.remove(name);
            var response = call(tenant.key(), "post", op, op, 200, Api.map("requests", List.of(item)));
            var result = response.body().path("items").get(0);
            assertThat(result.path("status").asString()).as("record without %s", name).isEqualTo("REJECTED");
            assertThat(result.path("field").asString()).as("record without %s", name).isEqualTo("requests[0]." + name);
        }
    }

    // --- calls checked against the contract ------------------------------------------------------------------------

    /** Calls a JSON operation and checks status, content type and body against the documented response. */
    private Api.Response call(String key, String method, String template, String path, int status, Object body) {
        if (!method.equals("post") && !method.equals("put") && body != null) {
            throw new IllegalArgumentException("only POST and PUT carry a body here");
        }
        Api.Response response = body == null
                ? api.send(key, method.toUpperCase(), path, null, null)
                : method.equals("put") ? api.send(key, "PUT", path, java.net.http.HttpRequest.BodyPublishers.ofString(
                        Api.JSON.writeValueAsString(body)), "application/json")
                : api.post(key, path, body);
        return check(new Op(method, template), path, status, response);
    }

    /** Calls a binary-body operation (receipt verification). */
    private Api.Response call(String key, String method, String path, byte[] body, String contentType, int status) {
        return check(new Op(method, path), path, status, api.postBytes(key, path, body, contentType));
    }

    private Api.Response check(Op op, String path, int status, Api.Response response) {
        String where = op + " (" + path + ") " + status;
        assertThat(response.status()).as("%s: %s", where, response).isEqualTo(status);
        JsonNode operation = operations(contract).get(op);
        assertThat(operation).as("%s is documented", op).isNotNull();
        JsonNode documented = deref(contract, operation.path("responses").path(String.valueOf(status)));
        assertThat(documented.isMissingNode()).as("%s: status %d is not documented", op, status).isFalse();
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        String mediaType = contentType.split(";")[0].trim();
        JsonNode content = documented.path("content");
        assertThat(content.has(mediaType)).as("%s: content type %s not among documented %s", where, contentType,
                content.propertyNames()).isTrue();
        JsonNode schema = content.path(mediaType).path("schema");
        if (mediaType.endsWith("json")) {
            List<String> failures = new ArrayList<>();
            boolean exact = status < 400;
            validate(schema, response.body(), "$", exact, failures);
            if (!exact) {
                for (String member : List.of("title", "status", "detail")) {
                    if (!response.body().has(member)) {
                        failures.add("$: problem without " + member);
                    }
                }
            }
            assertThat(failures).as("%s body %s against %s", where, response.body(), CONTRACT).isEmpty();
        }
        return response;
    }

    /** Checks a real JSON value against a documented schema: property names (exactly, or a subset), types, nulls. */
    private void validate(JsonNode schemaNode, JsonNode value, String at, boolean exact, List<String> failures) {
        JsonNode schema = deref(contract, schemaNode);
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                boolean nullable = false;
                JsonNode other = null;
                for (JsonNode branch : schema.path(combinator)) {
                    JsonNode b = deref(contract, branch);
                    if (types(b).equals(Set.of("null"))) {
                        nullable = true;
                    } else {
                        other = branch;
                    }
                }
                if (value == null || value.isNull()) {
                    if (!nullable) {
                        failures.add(at + ": null but not nullable");
                    }
                    return;
                }
                validate(other, value, at, exact, failures);
                return;
            }
        }
        Set<String> types = types(schema);
        if (value == null || value.isNull() || value.isMissingNode()) {
            if (!types.contains("null")) {
                failures.add(at + ": null but not nullable");
            }
            return;
        }
        if (types.contains("object") || schema.has("properties")) {
            if (!value.isObject()) {
                failures.add(at + ": expected an object, got " + value.getNodeType());
                return;
            }
            Set<String> documented = new TreeSet<>(schema.path("properties").propertyNames());
            Set<String> actual = new TreeSet<>(value.propertyNames());
            if (exact ? !documented.equals(actual) : !documented.containsAll(actual)) {
                failures.add(at + ": properties " + actual + ", documented " + documented);
            }
            for (String name : actual) {
                if (documented.contains(name)) {
                    validate(schema.path("properties").path(name), value.get(name), at + "." + name, exact, failures);
                }
            }
        } else if (types.contains("array")) {
            if (!value.isArray()) {
                failures.add(at + ": expected an array, got " + value.getNodeType());
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                validate(schema.path("items"), value.get(i), at + "[" + i + "]", exact, failures);
            }
        } else if (types.contains("string")) {
            if (!value.isString()) {
                failures.add(at + ": expected a string, got " + value);
                return;
            }
            String text = value.asString();
            try {
                switch (schema.path("format").asString("")) {
                    case "uuid" -> UUID.fromString(text);
                    case "date" -> LocalDate.parse(text);
                    case "date-time" -> {
                        OffsetDateTime.parse(text);
                        if (!text.endsWith("Z")) {
                            failures.add(at + ": timestamp " + text + " is not UTC");
                        }
                    }
                    default -> { }
                }
            } catch (RuntimeException e) {
                failures.add(at + ": '" + text + "' is not a " + schema.path("format").asString());
            }
            if (schema.has("enum") && !texts(schema.path("enum")).contains(text)) {
                failures.add(at + ": '" + text + "' not in " + schema.path("enum"));
            }
        } else if (types.contains("integer")) {
            if (!value.isIntegralNumber()) {
                failures.add(at + ": expected an integer, got " + value);
            }
        } else if (types.contains("number")) {
            if (!value.isNumber()) {
                failures.add(at + ": expected a number, got " + value);
            }
        } else if (types.contains("boolean")) {
            if (!value.isBoolean()) {
                failures.add(at + ": expected a boolean, got " + value);
            }
        }
    }

    // --- comparing the two models ----------------------------------------------------------------------------------

    /** Compares property names (and, for request bodies, required lists and constraints), following arrays and refs. */
    private void compareSchemas(JsonNode documentedNode, JsonNode servedNode, String at, boolean request,
            List<String> failures) {
        String documentedName = refName(documentedNode);
        JsonNode documented = schema(contract, documentedNode);
        JsonNode served = schema(runtime, servedNode);
        if (documented.has("items") || served.has("items")) {
            if (!documented.has("items") || !served.has("items")) {
                failures.add(at + ": documented " + (documented.has("items") ? "an array" : "not an array")
                        + ", runtime model " + (served.has("items") ? "an array" : "not an array"));
                return;
            }
            compareSchemas(documented.path("items"), served.path("items"), at + "[]", request, failures);
            return;
        }
        if (!documented.has("properties") && !served.has("properties")) {
            return;
        }
        Set<String> documentedNames = new TreeSet<>(documented.path("properties").propertyNames());
        Set<String> servedNames = new TreeSet<>(served.path("properties").propertyNames());
        if (!documentedNames.equals(servedNames)) {
            failures.add(at + ": documented properties " + documentedNames + ", runtime model " + servedNames
                    + " (only documented: " + minus(documentedNames, servedNames) + ", only served: "
                    + minus(servedNames, documentedNames) + ")");
        }
        if (request) {
            Set<String> documentedRequired = texts(documented.path("required"));
            Set<String> servedRequired = texts(served.path("required"));
            boolean checkedInCode = REQUIRED_CHECKED_IN_CODE.contains(documentedName) && servedRequired.isEmpty();
            if (!checkedInCode && !documentedRequired.equals(servedRequired)) {
                failures.add(at + ": documented required " + documentedRequired + ", runtime model "
                        + servedRequired);
            }
        }
        for (String name : documentedNames) {
            if (!servedNames.contains(name)) {
                continue;
            }
            JsonNode d = documented.path("properties").path(name);
            JsonNode s = served.path("properties").path(name);
            if (request) {
                compareConstraints(schema(contract, d), schema(runtime, s), at + "." + name, failures);
            }
            compareSchemas(d, s, at + "." + name, request, failures);
        }
    }

    private void compareConstraints(JsonNode documented, JsonNode served, String at, List<String> failures) {
        for (String constraint : CONSTRAINTS) {
            if (!served.has(constraint)) {
                continue;
            }
            JsonNode expected = served.path(constraint);
            JsonNode actual = documented.path(constraint);
            if (constraint.equals("maximum") && actual.isMissingNode()) {
                actual = documented.path("exclusiveMaximum"); // springdoc drops inclusive = false
            }
            boolean same = expected.isNumber() && actual.isNumber()
                    ? new BigDecimal(expected.asString()).compareTo(new BigDecimal(actual.asString())) == 0
                    : constraint.equals("enum") ? texts(expected).equals(texts(actual)) : expected.equals(actual);
            if (!same) {
                failures.add(at + ": " + constraint + " documented " + (actual.isMissingNode() ? "(none)" : actual)
                        + ", runtime model " + expected);
            }
        }
    }

    // --- model helpers ---------------------------------------------------------------------------------------------

    private static Map<Op, JsonNode> operations(JsonNode doc) {
        Map<Op, JsonNode> operations = new LinkedHashMap<>();
        for (var path : doc.path("paths").properties()) {
            if (!path.getKey().startsWith("/v1/")) {
                continue;
            }
            for (var operation : path.getValue().properties()) {
                if (METHODS.contains(operation.getKey())) {
                    operations.put(new Op(operation.getKey(), path.getKey()), operation.getValue());
                }
            }
        }
        return operations;
    }

    private static Set<String> successCodes(JsonNode operation) {
        return operation.path("responses").propertyNames().stream().filter(c -> c.startsWith("2"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> mediaTypes(JsonNode doc, JsonNode response) {
        return new TreeSet<>(deref(doc, response).path("content").propertyNames());
    }

    /** Follows {@code $ref}s within one document. */
    private static JsonNode deref(JsonNode doc, JsonNode node) {
        JsonNode current = node;
        for (int i = 0; i < 20 && current.has("$ref"); i++) {
            String ref = current.path("$ref").asString();
            if (!ref.startsWith("#/")) {
                throw new IllegalArgumentException("only local $refs are supported: " + ref);
            }
            current = doc.at(ref.substring(1));
            if (current.isMissingNode()) {
                throw new IllegalArgumentException("dangling $ref " + ref);
            }
        }
        return current;
    }

    /** A schema with refs followed and a nullable wrapper ({@code anyOf: [X, null]}) unwrapped to X. */
    private static JsonNode schema(JsonNode doc, JsonNode node) {
        JsonNode schema = deref(doc, node);
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                for (JsonNode branch : schema.path(combinator)) {
                    if (!types(deref(doc, branch)).equals(Set.of("null"))) {
                        return schema(doc, branch);
                    }
                }
            }
        }
        return schema;
    }

    private static String refName(JsonNode node) {
        String ref = node.path("$ref").asString("");
        return ref.substring(ref.lastIndexOf('/') + 1);
    }

    private static Set<String> types(JsonNode schema) {
        JsonNode type = schema.path("type");
        return type.isArray() ? texts(type) : type.isString() ? Set.of(type.asString()) : Set.of();
    }

    private static Set<String> texts(JsonNode array) {
        Set<String> texts = new TreeSet<>();
        array.forEach(n -> texts.add(n.asString()));
        return texts;
    }

    private static Set<String> minus(Collection<String> a, Collection<String> b) {
        Set<String> result = new TreeSet<>(a);
        result.removeAll(b);
        return result;
    }
}
