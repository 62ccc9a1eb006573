package org.carbonledger.api;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.shared.Scope;
import org.carbonledger.support.Api;
import org.carbonledger.support.Endpoints;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives every {@code /v1} endpoint (enumerated from the handler mappings) with hostile input — malformed JSON,
 * wrong types, huge numbers and strings, unicode, control characters, SQL and script injection — in path variables,
 * query parameters and every property of the documented request body: never a {@code 5xx}, and every error is an
 * {@code application/problem+json} body. (Path values hold no {@code /}: an encoded slash is refused by the servlet
 * container itself, before the application, with its own error page.)
 */
class ApiFuzzIntegrationTest extends IntegrationTest {

    static final List<String> PATH_VALUES = List.of("not-a-uuid", "' OR '1'='1", "1; DROP TABLE tenants", "😀🔥",
            "ä\u0301", "x".repeat(3000), "-1", "NaN", "%00", "<img src=x onerror=alert(1)>", "00000000-0000-0000-0000-000000000000",
            UUID.randomUUID().toString());
    static final List<String> RAW_BODIES = List.of("", "{", "}", "null", "[]", "\"text\"", "12", "true", "{\"a\":",
            "{\"requests\": {}}", "[".repeat(5000) + "]".repeat(5000), "{\"x\": \"\\ud800\"}", "\u0000\u0001",
            "{\"name\": 1e999999}", "<?xml version=\"1.0\"?><a/>");
    static final List<Object> VALUES = List.of("", " ", "x".repeat(100_000), "😀\u0000\u202e", "' OR 1=1 --",
            "'; DROP TABLE api_keys; --", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "../../etc/passwd",
            -1, 0, Long.MAX_VALUE, Long.MIN_VALUE, new java.math.BigInteger("9".repeat(400)),
            new java.math.BigDecimal("1E+400"), new java.math.BigDecimal("-1E-400"), 3.5, true, List.of(),
            List.of(Map.of("a", 1)), Map.of("nested", Map.of("deep", List.of())), "2026-13-45T25:61:00Z",
            "2026-10", "9999999-12", "USD", "usd");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mapping;

    @Test
    void hostileInputNeverBreaksTheApi() {
        Tenant tenant = newTenant(unique("fuzz"), 100);
        JsonNode model = api.get(null, "/v3/api-docs").body();
        List<String> failures = new ArrayList<>();
        int requests = 0;
        for (var endpoint : Endpoints.of(mapping)) {
            String key = endpoint.isPublic() ? null
                    : endpoint.scope().orElseThrow() == Scope.OPERATOR ? OPERATOR_KEY : tenant.key();
            List<String> paths = new ArrayList<>();
            if (endpoint.variables().isEmpty()) {
                paths.add(endpoint.path());
                if (endpoint.method().equals("GET")) {
                    for (String value : List.of("abc", "-5", "0", "99999999999", "1e3", "' OR 1=1")) {
                        paths.add(endpoint.path() + "?limit=" + encode(value));
                        paths.add(endpoint.path() + "?cursor=" + encode(value));
                    }
                }
            } else {
                PATH_VALUES.forEach(v -> paths.add(endpoint.path(encode(v))));
            }
            List<String> bodies = new ArrayList<>();
            boolean json = endpoint.hasJsonBody();
            if (endpoint.method().equals("POST")) {
                bodies.addAll(RAW_BODIES);
                if (json) {
                    for (String property : properties(model, endpoint)) {
                        for (Object value : VALUES) {
                            Map<String, Object> body = new LinkedHashMap<>();
                            body.put(property, value);
                            bodies.add(Api.JSON.writeValueAsString(body));
                        }
                        bodies.add("{\"" + property + "\": null}");
                    }
                }
            } else {
                bodies.add(null);
            }
            for (String path : paths) {
                for (String body : path.equals(paths.get(0)) ? bodies : bodies.subList(0, 1)) {
                    requests++;
                    var response = api.send(key, endpoint.method(), path,
                            body == null ? null : HttpRequest.BodyPublishers.ofString(body),
                            json ? "application/json" : "application/pdf");
                    check(endpoint + " " + path + " " + abbreviate(body), response, failures);
                }
            }
            // the wrong media type
            if (endpoint.method().equals("POST")) {
                requests++;
                check(endpoint + " as text/plain", api.send(key, "POST", paths.get(0),
                        HttpRequest.BodyPublishers.ofString("{}"), "text/plain"), failures);
            }
        }
        assertThat(failures).as("after %d requests", requests).isEmpty();
        assertThat(requests).isGreaterThan(500);
    }

    private static void check(String what, Api.Response response, List<String> failures) {
        if (response.status() >= 500) {
            failures.add(what + " -> " + response.status() + " " + abbreviate(String.valueOf(response.body())));
        } else if (response.status() >= 400) {
            String type = response.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("application/problem+json") || response.body() == null
                    || response.body().path("status").asInt() != response.status()) {
                failures.add(what + " -> " + response.status() + " as " + type);
            }
        }
    }

    /** The properties of the endpoint's request body in the model springdoc derives from the controllers. */
    private static List<String> properties(JsonNode model, Endpoints.Endpoint endpoint) {
        JsonNode schema = model.path("paths").path(endpoint.path()).path(endpoint.method().toLowerCase())
                .path("requestBody").path("content").path("application/json").path("schema");
        for (int i = 0; i < 5 && schema.has("$ref"); i++) {
            schema = model.at(schema.path("$ref").asString().substring(1));
        }
        List<String> names = new ArrayList<>(schema.path("properties").propertyNames());
        if (names.isEmpty()) {
            names.add("anything");
        }
        return names;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 120 ? text.substring(0, 120) + "…" : text;
    }
}
