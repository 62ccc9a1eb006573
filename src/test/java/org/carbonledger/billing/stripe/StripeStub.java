package org.carbonledger.billing.stripe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Stripe-shaped HTTP server for tests: customers, invoice items, invoices (create, finalize, send, retrieve),
 * invoice payments, charges and disputes (retrieve, list by {@code payment_intent}), Stripe Climate products (list,
 * retrieve) and orders (create, retrieve, cancel), answering with Stripe's JSON shapes. It records every request with its
 * {@code Idempotency-Key}, and like Stripe replays the first response for a repeated key. Test methods move invoices
 * the way Stripe would (a failed attempt, a payment, a refund) and give back the objects to put into events.
 */
public final class StripeStub implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record Request(String method, String path, String idempotencyKey, Map<String, String> form) {
    }

    private final HttpServer server;
    private final AtomicLong ids = new AtomicLong(1000);
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> replies = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> objects = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    public StripeStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private String id(String prefix) {
        return prefix + "_" + ids.incrementAndGet();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> form = parse(method.equals("GET") ? query : body);
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        requests.add(new Request(method, path, key, form));
        if (!"Bearer sk_test_stub".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            reply(exchange, 401, error("invalid_request_error", "Invalid API Key provided"));
            return;
        }
        if (key != null && replies.containsKey(key)) {
            reply(exchange, 200, replies.get(key));
            return;
        }
        var failing = failures.entrySet().stream().filter(f -> path.endsWith(f.getKey()) && f.getValue() > 0)
                .findFirst();
        if (failing.isPresent()) {
            failures.merge(failing.get().getKey(), -1, Integer::sum);
            reply(exchange, 503, error("api_error", "The service is temporarily unavailable"));
            return;
        }
        String[] parts = path.substring(1).split("/");
        Map<String, Object> result;
        if (path.startsWith("/v1/climate/")) {
            result = climate(method, parts, form);
            if (result == null) {
                reply(exchange, 404, error("invalid_request_error", "No such climate object: " + path));
                return;
            }
        } else if (method.equals("POST") && path.equals("/v1/customers")) {
            result = object(id("cus"), "customer", Map.of("name", form.getOrDefault("name", ""),
                    "metadata", metadata(form)));
        } else if (method.equals("POST") && path.equals("/v1/invoices")) {
            result = object(id("in"), "invoice", Map.of("status", "draft", "customer", form.get("customer"),
                    "currency", form.get("currency"), "total", 0L, "amount_paid", 0L,
                    "collection_method", form.getOrDefault("collection_method", "charge_automatically"),
                    "metadata", metadata(form)));
        } else if (method.equals("POST") && path.equals("/v1/invoiceitems")) {
            Map<String, Object> invoice = objects.get(form.get("invoice"));
            if (invoice == null || !"draft".equals(invoice.get("status"))) {
                reply(exchange, 400, error("invalid_request_error", "invoice is not a draft"));
                return;
            }
            long amount = Long.parseLong(form.get("amount"));
            invoice.put("total", (Long) invoice.get("total") + amount);
            result = object(id("ii"), "invoiceitem", Map.of("amount", amount, "invoice", form.get("invoice"),
                    "customer", form.get("customer"), "currency", form.get("currency"),
                    "description", form.getOrDefault("description", ""), "metadata", metadata(form)));
        } else if (parts.length == 4 && parts[1].equals("invoices") && method.equals("POST")) {
            Map<String, Object> invoice = objects.get(parts[2]);
            if (invoice == null) {
                reply(exchange, 404, error("invalid_request_error", "No such invoice: " + parts[2]));
                return;
            }
            if (parts[3].equals("finalize")) {
                invoice.put("status", "open");
                invoice.put("number", "STUB-" + parts[2]);
            }
            result = invoice;
        } else if (parts.length == 3 && method.equals("GET") && objects.containsKey(parts[2])) {
            result = objects.get(parts[2]);
        } else if (method.equals("GET") && (path.equals("/v1/charges") || path.equals("/v1/disputes"))) {
            String type = path.equals("/v1/charges") ? "charge" : "dispute";
            List<Object> data = objects.values().stream()
                    .filter(o -> type.equals(o.get("object")))
                    .filter(o -> form.get("payment_intent") == null
                            || form.get("payment_intent").equals(o.get("payment_intent")))
                    .map(o -> (Object) o).toList();
            result = new LinkedHashMap<>(Map.of("object", "list", "data", data, "has_more", false, "url", path));
        } else if (method.equals("GET") && path.equals("/v1/invoice_payments")) {
            List<Object> data = objects.values().stream()
                    .filter(o -> "invoice_payment".equals(o.get("object")))
                    .filter(o -> form.get("invoice") == null || form.get("invoice").equals(o.get("invoice")))
                    .map(o -> (Object) o).toList();
            result = new LinkedHashMap<>(Map.of("object", "list", "data", data, "has_more", false,
                    "url", "/v1/invoice_payments"));
        } else {
            reply(exchange, 404, error("invalid_request_error", "Unrecognized request URL (" + method + ": " + path
                    + ")"));
            return;
        }
        String json = JSON.writeValueAsString(result);
        if (key != null && method.equals("POST")) {
            replies.put(key, json);
        }
        reply(exchange, 200, json);
    }

    private Map<String, Object> object(String id, String type, Map<String, Object> fields) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", id);
        o.put("object", type);
        o.put("livemode", false);
        o.put("created", 1_790_000_000L + ids.get());
        o.putAll(fields);
        objects.put(id, o);
        return o;
    }

    private static Map<String, String> metadata(Map<String, String> form) {
        Map<String, String> metadata = new HashMap<>();
        form.forEach((k, v) -> {
            if (k.startsWith("metadata[")) {
                metadata.put(k.substring(9, k.length() - 1), v);
            }
        });
        return metadata;
    }

    private static Map<String, String> parse(String encoded) {
        Map<String, String> form = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return form;
        }
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return form;
    }

    private static String error(String type, String message) {
        return JSON.writeValueAsString(Map.of("error", Map.of("type", type, "message", message)));
    }

    private static void reply(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Request-Id", "req_stub");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The next {@code times} requests whose path ends with {@code pathSuffix} fail with 503. */
    public void failNext(String pathSuffix, int times) {
        failures.put(pathSuffix, times);
    }

    private Map<String, Object> climate(String method, String[] parts, Map<String, String> form) {
        if (parts[2].equals("products") && method.equals("GET")) {
            if (parts.length == 4) {
                return climateProduct(parts[3]);
            }
            List<Object> data = objects.values().stream().filter(o -> "climate.product".equals(o.get("object")))
                    .sorted(java.util.Comparator.comparing(o -> (String) o.get("id"))).map(o -> (Object) o).toList();
            return new LinkedHashMap<>(Map.of("object", "list", "data", data, "has_more", false,
                    "url", "/v1/climate/products"));
        }
        if (parts[2].equals("orders") && method.equals("POST") && parts.length == 3) {
            Map<String, Object> product = climateProduct(form.get("product"));
            if (product == null) {
                return null;
            }
            java.math.BigDecimal tons = new java.math.BigDecimal(form.get("metric_tons"));
            @SuppressWarnings("unchecked")
            var prices = (Map<String, Map<String, Object>>) product.get("current_prices_per_metric_ton");
            String currency = prices.keySet().iterator().next();
            long perTon = (Long) prices.get(currency).get("amount_total");
            long total = tons.multiply(java.math.BigDecimal.valueOf(perTon))
                    .setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
            Map<String, Object> order = new LinkedHashMap<>();
            order.put("amount_fees", 0L);
            order.put("amount_subtotal", total);
            order.put("amount_total", total);
            order.put("beneficiary", Map.of("public_name", form.getOrDefault("beneficiary[public_name]", "")));
            order.put("canceled_at", null);
            order.put("cancellation_reason", null);
            order.put("certificate", null);
            order.put("confirmed_at", null);
            order.put("currency", currency);
            order.put("delayed_at", null);
            order.put("delivered_at", null);
            order.put("delivery_details", List.of());
            order.put("expected_delivery_year", product.get("delivery_year"));
            order.put("metadata", metadata(form));
            order.put("metric_tons", tons.toPlainString());
            order.put("product", product.get("id"));
            order.put("product_substituted_at", null);
            order.put("status", "open");
            return object(id("climorder"), "climate.order", order);
        }
        Map<String, Object> order = parts.length >= 4 ? objects.get(parts[3]) : null;
        if (order == null || !"climate.order".equals(order.get("object"))) {
            return null;
        }
        if (method.equals("GET") && parts.length == 4) {
            return order;
        }
        if (method.equals("POST") && parts.length == 5 && parts[4].equals("cancel")) {
            order.put("status", "canceled");
            order.put("canceled_at", 1_790_000_000L + ids.incrementAndGet());
            order.put("cancellation_reason", "requested");
            return order;
        }
        return null;
    }

    private Map<String, Object> climateProduct(String id) {
        Map<String, Object> product = id == null ? null : objects.get(id);
        return product != null && "climate.product".equals(product.get("object")) ? product : null;
    }

    // What Stripe does on its side --------------------------------------------------------------------------------

    public synchronized Map<String, Object> invoice(String id) {
        return new LinkedHashMap<>(objects.get(id));
    }

    /** A failed collection attempt: the invoice stays open. */
    public synchronized Map<String, Object> failPayment(String invoiceId) {
        objects.get(invoiceId).put("attempt_count", 1);
        return invoice(invoiceId);
    }

    /** The invoice is paid: a PaymentIntent, its charge, and the invoice payment linking them. Returns the charge. */
    public synchronized String pay(String invoiceId) {
        Map<String, Object> invoice = objects.get(invoiceId);
        invoice.put("status", "paid");
        invoice.put("amount_paid", invoice.get("total"));
        String paymentIntent = id("pi");
        String charge = id("ch");
        object(charge, "charge", Map.of("amount", invoice.get("total"), "amount_refunded", 0L, "refunded", false,
                "paid", true, "status", "succeeded", "currency", invoice.get("currency"),
                "customer", invoice.get("customer"), "payment_intent", paymentIntent));
        object(id("inpay"), "invoice_payment", Map.of("invoice", invoiceId, "status", "paid", "is_default", true,
                "amount_paid", invoice.get("total"), "amount_requested", invoice.get("total"),
                "currency", invoice.get("currency"),
                "payment", Map.of("type", "payment_intent", "payment_intent", paymentIntent)));
        return charge;
    }

    public synchronized Map<String, Object> refund(String chargeId) {
        Map<String, Object> charge = objects.get(chargeId);
        charge.put("refunded", true);
        charge.put("amount_refunded", charge.get("amount"));
        return new LinkedHashMap<>(charge);
    }

    public synchronized Map<String, Object> charge(String chargeId) {
        return new LinkedHashMap<>(objects.get(chargeId));
    }

    /** The charge's dispute is opened or moves to {@code status} (listed under GET /v1/disputes from now on). */
    public synchronized Map<String, Object> dispute(String chargeId, String status) {
        Map<String, Object> charge = objects.get(chargeId);
        charge.put("disputed", true);
        Map<String, Object> dispute = new LinkedHashMap<>(Map.of("id", "dp_" + chargeId, "object", "dispute",
                "charge", chargeId, "payment_intent", charge.get("payment_intent"), "amount", charge.get("amount"),
                "currency", charge.get("currency"), "status", status, "reason", "fraudulent", "livemode", false,
                "created", 1_790_000_000L + ids.get()));
        objects.put((String) dispute.get("id"), dispute);
        return new LinkedHashMap<>(dispute);
    }

    /** A Stripe Climate product priced at {@code amountTotalPerTon} minor units of {@code currency} per tonne. */
    public synchronized Map<String, Object> addClimateProduct(String name, int deliveryYear, String currency,
            long amountTotalPerTon) {
        Map<String, Object> price = new LinkedHashMap<>(Map.of("amount_fees", 0L, "amount_subtotal",
                amountTotalPerTon, "amount_total", amountTotalPerTon));
        return new LinkedHashMap<>(object(id("climsku"), "climate.product", new LinkedHashMap<>(Map.of(
                "name", name, "delivery_year", deliveryYear, "metric_tons_available", "10000",
                "current_prices_per_metric_ton", new LinkedHashMap<>(Map.of(currency, price)),
                "suppliers", List.of()))));
    }

    public synchronized Map<String, Object> climateOrder(String id) {
        return new LinkedHashMap<>(objects.get(id));
    }

    /** Stripe delivers the order: one delivery of all its tonnes, with the registry's link. */
    public synchronized Map<String, Object> deliverClimateOrder(String id, String registryUrl) {
        Map<String, Object> order = objects.get(id);
        long at = 1_790_000_000L + ids.incrementAndGet();
        order.put("status", "delivered");
        order.put("delivered_at", at);
        order.put("delivery_details", List.of(new LinkedHashMap<>(Map.of("delivered_at", at,
                "metric_tons", order.get("metric_tons"), "registry_url", registryUrl,
                "supplier", Map.of("id", "climsup_stub", "object", "climate.supplier", "name", "Stub Removals",
                        "removal_pathway", "direct_air_capture", "livemode", false)))));
        return climateOrder(id);
    }

    /** Stripe confirms the order and later delays its delivery to {@code year}. */
    public synchronized Map<String, Object> delayClimateOrder(String id, int year) {
        Map<String, Object> order = objects.get(id);
        order.put("status", "confirmed");
        order.put("delayed_at", 1_790_000_000L + ids.incrementAndGet());
        order.put("expected_delivery_year", year);
        return climateOrder(id);
    }

    /** Stripe cancels the order on its side (a supplier could not deliver). */
    public synchronized Map<String, Object> cancelClimateOrder(String id, String reason) {
        Map<String, Object> order = objects.get(id);
        order.put("status", "canceled");
        order.put("canceled_at", 1_790_000_000L + ids.incrementAndGet());
        order.put("cancellation_reason", reason);
        return climateOrder(id);
    }

    /** Stripe substitutes the order's product. */
    public synchronized Map<String, Object> substituteClimateProduct(String id, String productId) {
        Map<String, Object> order = objects.get(id);
        order.put("product", productId);
        order.put("product_substituted_at", 1_790_000_000L + ids.incrementAndGet());
        return climateOrder(id);
    }

    /** An event as Stripe sends it, of the library's API version. */
    public static String event(String id, String type, long created, Map<String, Object> object) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", id);
        event.put("object", "event");
        event.put("api_version", com.stripe.Stripe.API_VERSION);
        event.put("created", created);
        event.put("data", Map.of("object", object));
        event.put("livemode", false);
        event.put("pending_webhooks", 1);
        event.put("request", Collections.singletonMap("id", null));
        event.put("type", type);
        return JSON.writeValueAsString(event);
    }
}
