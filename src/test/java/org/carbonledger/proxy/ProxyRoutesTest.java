package org.carbonledger.proxy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The route file: what it matches, and each kind of bad configuration refused with its reason. */
class ProxyRoutesTest {

    @TempDir
    Path dir;

    private final String workload = UUID.randomUUID().toString();

    private Path file(String yaml) throws IOException {
        Path f = dir.resolve("routes.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void routesMatchByPathPrefixHeaderAndModelInOrderWithTheLastAsDefault() throws IOException {
        ProxyRoutes routes = ProxyRoutes.load(file("""
                upstreams:
                  openai: {url: "https://api.openai.com/"}
                  vllm: http://vllm.internal:8000
                routes:
                  - name: llama
                    match: {model: meta-llama/Llama-3.1-8B-Instruct}
                    upstream: vllm
                    workload: %1$s
                  - name: search
                    match: {header: {name: X-Team, value: search}, pathPrefix: /v1/embeddings}
                    upstream: openai
                    workload: %1$s
                  - name: default
                    upstream: openai
                    workload: %1$s
                    extras: [request-id]
                """.formatted(workload)));
        assertThat(routes.upstreams().get("openai").toString()).isEqualTo("https://api.openai.com");
        assertThat(routes.matchesByModel()).isTrue();
        Map<String, String> search = Map.of("X-Team", "search");
        assertThat(routes.route("/v1/chat/completions", h -> null, "meta-llama/Llama-3.1-8B-Instruct").name())
                .isEqualTo("llama");
        assertThat(routes.route("/v1/embeddings", search::get, "text-embedding-3-small").name()).isEqualTo("search");
        assertThat(routes.route("/v1/chat/completions", search::get, "gpt-4o").name()).isEqualTo("default");
        assertThat(routes.route("/v1/embeddings", h -> null, null).name()).isEqualTo("default");
        assertThat(routes.routes().get(2).extras()).containsExactly(ProxyRoutes.Extra.REQUEST_ID);
    }

    @Test
    void anUnknownUpstreamIsRefused() throws IOException {
        Path f = file("""
                upstreams:
                  openai: {url: "https://api.openai.com"}
                routes:
                  - upstream: azure
                    workload: %s
                """.formatted(workload));
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": routes[0].upstream 'azure' is unknown; defined upstreams: openai");
    }

    @Test
    void anUnreachableUpstreamIsRefused() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ProxyRoutes routes = ProxyRoutes.load(file("""
                upstreams:
                  local: {url: "http://127.0.0.1:%d"}
                routes:
                  - upstream: local
                    workload: %s
                """.formatted(closedPort, workload)));
        assertThatThrownBy(() -> routes.checkReachable(Duration.ofSeconds(2)))
                .isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("upstream 'local' (http://127.0.0.1:" + closedPort + ") is unreachable: "
                        + "ConnectException: Connection refused");
    }

    @Test
    void aFileWithoutACatchAllRouteIsRefusedAsAMissingRoute() throws IOException {
        Path f = file("""
                upstreams:
                  openai: https://api.openai.com
                routes:
                  - match: {pathPrefix: /v1/embeddings}
                    upstream: openai
                    workload: %s
                """.formatted(workload));
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": missing route: the last route (routes[0]) has a 'match', so some "
                        + "requests would have no upstream; end with a route without 'match'");
    }

    @Test
    void aFileWithoutRoutesIsRefusedAsAMissingRoute() throws IOException {
        Path f = file("""
                upstreams:
                  openai: https://api.openai.com
                """);
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": missing route: 'routes' is missing or empty; the last route must "
                        + "match every request (no 'match')");
    }

    @Test
    void aMissingFileIsRefused() {
        Path f = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + " does not exist");
    }

    @Test
    void aRouteWithoutAWorkloadIdIsRefused() throws IOException {
        Path f = file("""
                upstreams:
                  openai: https://api.openai.com
                routes:
                  - upstream: openai
                    workload: chat
                """);
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": routes[0].workload 'chat' is not a workload id (UUID)");
    }

    @Test
    void anUpstreamThatIsNotAnHttpUrlIsRefused() throws IOException {
        Path f = file("""
                upstreams:
                  openai: ftp://api.openai.com
                routes:
                  - upstream: openai
                    workload: %s
                """.formatted(workload));
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": upstreams.openai.url 'ftp://api.openai.com' must be an absolute "
                        + "http(s) URL");
    }

    @Test
    void anUnknownExtraIsRefused() throws IOException {
        Path f = file("""
                upstreams:
                  openai: https://api.openai.com
                routes:
                  - upstream: openai
                    workload: %s
                    extras: [carbon]
                """.formatted(workload));
        assertThatThrownBy(() -> ProxyRoutes.load(f)).isInstanceOf(ProxyRoutes.InvalidRoutes.class)
                .hasMessage("route file " + f + ": routes[0].extras: 'carbon' is unknown; use request-id, co2e");
    }
}
