package org.carbonledger.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.carbonledger.shared.Scope;
import org.carbonledger.support.Api;
import org.carbonledger.support.Endpoints;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scope × endpoint matrix. The table in {@code docs/api/README.md} is generated from the {@code @RequiresScope}
 * declarations (this test fails when they differ and prints the table to paste; {@code -DupdateDocs=true} writes it),
 * and every cell of that table is then proven against the running application with a key of that one scope.
 */
class ScopeMatrixIntegrationTest extends IntegrationTest {

    static final Path GUIDE = Path.of("docs/api/README.md");
    static final String BEGIN = "<!-- scope-matrix:begin (generated from @RequiresScope by ScopeMatrixIntegrationTest) -->";
    static final String END = "<!-- scope-matrix:end -->";
    static final List<Scope> COLUMNS = List.of(Scope.INGEST, Scope.READ, Scope.BILLING_ADMIN, Scope.OPERATOR);
    static final String ALLOWED = "allowed";
    static final String PUBLIC = "public";

    private static final Map<Scope, String> KEYS = new EnumMap<>(Scope.class);

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mapping;

    @Test
    void everyV1HandlerDeclaresExactlyOneScopeOrIsPublic() {
        List<String> failures = new ArrayList<>();
        for (var endpoint : Endpoints.of(mapping)) {
            if (endpoint.scope().isPresent() == endpoint.isPublic()) {
                failures.add(endpoint + " (" + endpoint.handler() + ")");
            }
        }
        assertThat(Endpoints.of(mapping)).isNotEmpty();
        assertThat(failures).as("handlers needing exactly one of @RequiresScope or @PublicEndpoint").isEmpty();
    }

    @Test
    void theGuideShowsTheMatrixOfTheDeclarations() throws IOException {
        String expected = table(Endpoints.of(mapping));
        String guide = Files.readString(GUIDE);
        int begin = guide.indexOf(BEGIN);
        int end = guide.indexOf(END);
        assertThat(begin).as("%s holds the marker %s", GUIDE, BEGIN).isNotNegative();
        String documented = guide.substring(begin + BEGIN.length(), end).strip();
        if (!documented.equals(expected.strip()) && Boolean.getBoolean("updateDocs")) {
            Files.writeString(GUIDE, guide.substring(0, begin + BEGIN.length()) + "\n" + expected
                    + guide.substring(end));
            return;
        }
        assertThat(documented).as("the scope table in %s (paste the expected text)", GUIDE)
                .isEqualTo(expected.strip());
    }

    @Test
    void theContractNamesTheSameScopes() throws IOException {
        Object yaml = new org.yaml.snakeyaml.Yaml().load(Files.newBufferedReader(OpenApiContractIntegrationTest.CONTRACT));
        JsonNode contract = Api.JSON.valueToTree(yaml);
        List<String> failures = new ArrayList<>();
        for (var endpoint : Endpoints.of(mapping)) {
            JsonNode op = contract.path("paths").path(endpoint.path()).path(endpoint.method().toLowerCase());
            String expected = endpoint.isPublic() ? "" : endpoint.scope().orElseThrow().wire();
            String documented = op.path("security").isEmpty() ? ""
                    : op.path("security").get(0).path("bearerAuth").path(0).asString("");
            if (!expected.equals(documented) || !expected.equals(op.path("x-required-scope").asString(""))) {
                failures.add(endpoint + ": declared '" + expected + "', contract '" + documented + "'/'"
                        + op.path("x-required-scope").asString("") + "'");
            }
        }
        assertThat(failures).isEmpty();
    }

    /** Every cell of the documented table: (endpoint, scope of the key, allowed / 403 / public). */
    static Stream<Arguments> cells() throws IOException {
        String guide = Files.readString(GUIDE);
        String table = guide.substring(guide.indexOf(BEGIN) + BEGIN.length(), guide.indexOf(END)).strip();
        List<Arguments> cells = new ArrayList<>();
        for (String row : table.split("\n")) {
            if (!row.startsWith("| `")) {
                continue;
            }
            String[] cols = row.split("\\|");
            String endpoint = cols[1].trim().replace("`", "");
            for (int i = 0; i < COLUMNS.size(); i++) {
                cells.add(Arguments.of(endpoint, COLUMNS.get(i), cols[i + 2].trim()));
            }
        }
        return cells.stream();
    }

    @ParameterizedTest(name = "{0} with a {1} key: {2}")
    @MethodSource("cells")
    void aKeyOfOneScopeGetsWhatTheTableSays(String endpoint, Scope scope, String expected) {
        String method = endpoint.substring(0, endpoint.indexOf(' '));
        String path = endpoint.substring(endpoint.indexOf(' ') + 1)
                .replace("{requestId}", "no-such-request").replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
        var response = api.send(keyWith(scope), method, path,
                method.equals("GET") || method.equals("DELETE") ? null
                        : java.net.http.HttpRequest.BodyPublishers.ofString("{}"),
                consumedMediaType(method, endpoint.substring(endpoint.indexOf(' ') + 1)));
        if (expected.equals("403")) {
            assertThat(response.status()).as(response.toString()).isEqualTo(403);
            assertThat(response.text("title")).isEqualTo("Scope required");
        } else {
            assertThat(response.status()).as(response.toString()).isNotIn(401, 403);
            assertThat(response.status()).as(response.toString()).isLessThan(500);
        }
    }

    /** A media type the endpoint consumes (a mismatch is answered 415 by the handler mapping, before any handler). */
    private String consumedMediaType(String method, String template) {
        for (var info : mapping.getHandlerMethods().keySet()) {
            boolean same = info.getPatternValues().contains(template) && info.getMethodsCondition().getMethods()
                    .stream().anyMatch(m -> m.name().equals(method));
            var consumable = info.getConsumesCondition().getConsumableMediaTypes();
            if (same && !consumable.isEmpty()) {
                return consumable.stream().map(Object::toString).sorted().findFirst().orElseThrow();
            }
        }
        return "application/json";
    }

    @Test
    void theScopeIsCheckedBeforeTheBody() {
        Tenant tenant = newTenant(unique("scope-first"), 100);
        var response = api.post(tenant.key(), "/v1/tenants", "{\"name\": 12, \"pricePerTonne\": \"x\"");
        assertThat(response.status()).as(response.toString()).isEqualTo(403);
        var operatorWithBadBody = api.post(OPERATOR_KEY, "/v1/workloads", "not json");
        assertThat(operatorWithBadBody.status()).as(operatorWithBadBody.toString()).isEqualTo(403);
    }

    @Test
    void noKeyIsUnauthorizedEvenWithABadBody() {
        var response = api.post(null, "/v1/workloads", "not json");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    }

    private String keyWith(Scope scope) {
        synchronized (KEYS) {
            if (KEYS.isEmpty()) {
                Tenant tenant = newTenant(unique("matrix"), 100);
                for (Scope s : Scope.TENANT_SCOPES) {
                    var created = api.post(tenant.key(), "/v1/api-keys", Api.map("scopes", List.of(s.wire())));
                    assertThat(created.status()).as(created.toString()).isEqualTo(201);
                    KEYS.put(s, created.text("apiKey"));
                }
                KEYS.put(Scope.OPERATOR, OPERATOR_KEY);
            }
            return KEYS.get(scope);
        }
    }

    static String table(List<Endpoints.Endpoint> endpoints) {
        StringBuilder sb = new StringBuilder("| Endpoint |");
        COLUMNS.forEach(c -> sb.append(" `").append(c.wire()).append("` |"));
        sb.append("\n|---|").append("---|".repeat(COLUMNS.size())).append('\n');
        for (var endpoint : endpoints) {
            sb.append("| `").append(endpoint).append("` |");
            for (Scope column : COLUMNS) {
                String cell = endpoint.isPublic() ? PUBLIC
                        : endpoint.scope().map(s -> s == column ? ALLOWED : "403").orElse("403");
                sb.append(' ').append(cell).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
