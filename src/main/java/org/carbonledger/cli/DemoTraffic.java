package org.carbonledger.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A tenant and an operator using the public API, as the demo does: nothing here touches the database directly. */
final class DemoTraffic {

    /** The verified receipt, the demo tenant's key and the request whose trace was printed. */
    record Result(byte[] receiptPdf, String tenantKey, String tracedRequestId) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int BATCH = 500;

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String operatorKey;
    private final PrintStream console;

    DemoTraffic(String base, String operatorKey, PrintStream console) {
        this.base = base;
        this.operatorKey = operatorKey;
        this.console = console;
    }

    Result run(YearMonth period, int requests) {
        post(operatorKey, "/v1/offsets/products", map("registry", "PURO_EARTH", "projectId", "PURO-DEMO-BIOCHAR-01",
                "name", "Demo biochar removal", "kind", "REMOVAL", "methodology", "Puro.earth Biochar", "country", "FI",
                "pricePerTonne", 140, "currency", "USD"), 201);
        post(operatorKey, "/v1/offsets/lots", map("registry", "PURO_EARTH", "projectId", "PURO-DEMO-BIOCHAR-01",
                "vintage", 2024,
                "serialPrefix", "PURO-DEMO-2024", "serialFirst", 1, "serialLast", 1000, "pricePerTonne", 140,
                "currency", "USD"), 201);
        JsonNode tenant = post(operatorKey, "/v1/tenants", map("name", "Demo Inference Co", "currency", "USD",
                "pricePerTonne", 120), 201);
        String key = tenant.path("apiKey").asString();
        console.println("Tenant " + tenant.path("name").asString() + " created; its API key: " + key);
        // the workloads served the whole period: registered now, serving since its start
        Instant start = period.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        String chat = post(key, "/v1/workloads", map("name", "chat-assistant",
                "model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "gpuModel", "H100-80GB-HBM3", "gpuCount", 4,
                "region", "us-east-1", "servingSince", start.toString()), 201).path("id").asString();
        String summarise = post(key, "/v1/workloads", map("name", "summariser",
                "model", "meta-llama/Meta-Llama-3.1-8B-Instruct", "gpuModel", "A100-SXM4-40GB", "gpuCount", 1,
                "region", "europe-west4", "servingSince", start.toString()), 201).path("id").asString();

        Random random = new Random(42);
        long seconds = Duration.between(start, period.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant()).toSeconds();
        List<Map<String, Object>> batch = new ArrayList<>();
        int accepted = 0;
        int duplicates = 0;
        for (int i = 0; i < requests; i++) {
            boolean isChat = random.nextInt(10) < 7;
            Instant ended = start.plusSeconds((long) ((i + random.nextDouble()) * seconds / requests));
            long output = isChat ? 50 + random.nextInt(700) : 80 + random.nextInt(200);
            long input = isChat ? 100 + random.nextInt(1500) : 1000 + random.nextInt(6000);
            batch.add(map("requestId", "demo-" + period + "-" + i, "workloadId", isChat ? chat : summarise,
                    "inputTokens", input, "outputTokens", output,
                    "startedAt", ended.minusMillis(200 + output * 25).toString(), "endedAt", ended.toString()));
            if (batch.size() == BATCH || i == requests - 1) {
                JsonNode result = post(key, "/v1/telemetry/requests", map("requests", batch), 200);
                accepted += result.path("accepted").asInt();
                if (i == requests - 1) {
                    // a client retry of the last batch: every record is recognised and counted once
                    duplicates += post(key, "/v1/telemetry/requests", map("requests", batch), 200)
                            .path("duplicates").asInt();
                }
                batch.clear();
            }
        }
        console.println("Metered " + accepted + " requests of " + period + " (" + duplicates
                + " replayed records recognised as duplicates)");

        JsonNode invoice = post(key, "/v1/billing/periods/close", map("period", period.toString()), 201);
        console.println("Invoice " + invoice.path("number").asString() + ": "
                + invoice.path("co2eGrams").asString() + " g CO2e, " + invoice.path("totalAmount").asString() + " "
                + invoice.path("currency").asString());
        for (JsonNode line : invoice.path("lines")) {
            console.println("  " + line.path("description").asString() + ": " + line.path("requestCount").asLong()
                    + " requests, " + line.path("co2eGrams").asString() + " g, " + line.path("amount").asString());
        }
        post(key, "/v1/invoices/" + invoice.path("id").asString() + "/payments", map("reference", "demo-payment"),
                201);
        for (JsonNode retirement : all(key, "/v1/offsets/retirements")) {
            console.println("Retired " + retirement.path("tonnes").asLong() + " t, serials "
                    + retirement.path("serialRange").asString() + " (" + retirement.path("registryRetirementId")
                    .asString() + "); " + retirement.path("gramsAllocated").asString()
                    + " g allocated, the rest carried forward");
        }
        JsonNode receipt = get(key, "/v1/receipts?limit=1").path("items").get(0);
        byte[] pdf = send(key, HttpRequest.newBuilder(URI.create(base + "/v1/receipts/" + receipt.path("id")
                .asString() + "/pdf")).GET(), 200).body();
        JsonNode verification = JSON.readTree(send(null, HttpRequest.newBuilder(URI.create(base
                + "/v1/receipts/verify")).header("Content-Type", "application/pdf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(pdf)), 200).body());
        if (!verification.path("valid").asBoolean()) {
            throw new IllegalStateException("the platform did not verify its own receipt: " + verification);
        }
        console.println("Receipt " + receipt.path("number").asString() + " signed and verified by the platform");
        String traced = "demo-" + period + "-0";
        JsonNode trace = get(key, "/v1/trace/requests/" + traced);
        console.println("Trace of " + traced + ": " + trace.path("emissionRecords").get(0)
                .path("co2eGramsLocationBased").asString() + " g -> invoice " + trace.path("invoiceLine")
                .path("invoiceNumber").asString() + " -> " + trace.path("allocations").get(0)
                .path("registryRetirementId").asString() + " -> receipt " + trace.path("receipt").path("number")
                .asString());
        return new Result(pdf, key, traced);
    }

    /** Every item of a paginated list, following {@code nextCursor}. */
    private List<JsonNode> all(String key, String path) {
        List<JsonNode> items = new java.util.ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get(key, path + (cursor == null ? "" : "?cursor=" + cursor));
            page.path("items").forEach(items::add);
            cursor = page.path("nextCursor").isString() ? page.path("nextCursor").asString() : null;
        } while (cursor != null);
        return items;
    }

    private JsonNode get(String key, String path) {
        return JSON.readTree(send(key, HttpRequest.newBuilder(URI.create(base + path)).GET(), 200).body());
    }

    private JsonNode post(String key, String path, Object body, int expected) {
        return JSON.readTree(send(key, HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))), expected).body());
    }

    private HttpResponse<byte[]> send(String key, HttpRequest.Builder request, int expected) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != expected) {
                throw new IllegalStateException(response.request().method() + " " + response.request().uri()
                        + " answered " + response.statusCode() + ": " + new String(response.body()));
            }
            return response;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
