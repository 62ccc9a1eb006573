package org.carbonledger.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Security headers, closed CORS, actuator behind the operator scope. */
class HygieneIntegrationTest extends IntegrationTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    }

    @Test
    void apiResponsesCarrySecurityHeadersAndAreNotCached() throws Exception {
        Tenant tenant = newTenant(unique("headers"), 100);
        for (var response : new HttpResponse<?>[] {
                send(at("/v1/tenants/me").header("Authorization", "Bearer " + tenant.key())),
                send(at("/v1/tenants/me"))}) {
            assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(response.headers().firstValue("Content-Security-Policy"))
                    .hasValue("default-src 'none'; frame-ancestors 'none'");
            assertThat(response.headers().firstValue("Strict-Transport-Security")).as("plain HTTP").isEmpty();
        }
    }

    @Test
    void swaggerUiHasAStrictSameOriginPolicy() throws Exception {
        var ui = send(at("/swagger-ui/index.html"));
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.headers().firstValue("Content-Security-Policy").orElseThrow())
                .startsWith("default-src 'self'").contains("script-src 'self';").contains("frame-ancestors 'none'");
    }

    @Test
    void theDashboardRunsItsOwnScriptsOnlyWithoutInlineCode() throws Exception {
        for (String path : java.util.List.of("/dashboard/", "/dashboard/app.js")) {
            var page = send(at(path));
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(csp).as(path).startsWith("default-src 'self'").contains("script-src 'self';")
                    .contains("style-src 'self';").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
        }
    }

    @Test
    void logsOfTheRunningApplicationAreCapturedForTheSecretScan() {
        String probe = "log capture probe " + java.util.UUID.randomUUID();
        org.slf4j.LoggerFactory.getLogger(org.carbonledger.CarbonLedgerApplication.class).error(probe);
        assertThat(org.carbonledger.support.LogSecrets.captured(probe)).isTrue();
    }

    @Test
    void corsIsClosedByDefault() throws Exception {
        var preflight = send(at("/v1/workloads").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "Authorization"));
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        Tenant tenant = newTenant(unique("cors"), 100);
        var simple = send(at("/v1/tenants/me").header("Origin", "https://evil.example")
                .header("Authorization", "Bearer " + tenant.key()));
        assertThat(simple.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void actuatorOtherThanHealthNeedsTheOperatorScope() throws Exception {
        assertThat(send(at("/actuator/health")).statusCode()).isEqualTo(200);
        assertThat(send(at("/actuator")).statusCode()).isEqualTo(401);
        Tenant tenant = newTenant(unique("actuator"), 100);
        var tenantKey = send(at("/actuator").header("Authorization", "Bearer " + tenant.key()));
        assertThat(tenantKey.statusCode()).isEqualTo(403);
        assertThat(tenantKey.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(send(at("/actuator").header("Authorization", "Bearer " + OPERATOR_KEY)).statusCode())
                .isEqualTo(200);
    }
}
