package org.carbonledger.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The proxy's route file: named upstreams and an ordered list of routes, each matching a path prefix, a header and/or
 * a model name and naming an upstream and a workload. Validated completely when loaded; every problem is reported
 * with where it is in the file. The last route must match every request, so that no request is without an upstream.
 */
public record ProxyRoutes(Map<String, URI> upstreams, List<Route> routes) {

    /** What the proxy may add to responses, only when the route asks for it. */
    public enum Extra {
        /** {@code X-Carbonledger-Request-Id}: the identity the call is metered under. */
        REQUEST_ID("request-id"),
        /** {@code X-Carbonledger-Co2e-Grams}: the estimated location-based CO2e of the call. */
        CO2E("co2e");

        private final String wire;

        Extra(String wire) {
            this.wire = wire;
        }

        static Optional<Extra> of(String wire) {
            for (Extra e : values()) {
                if (e.wire.equals(wire)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }
    }

    /** One route; null conditions match anything, all given conditions must hold. */
    public record Route(String name, String pathPrefix, String headerName, String headerValue, String model,
            String upstream, URI upstreamUrl, UUID workloadId, Set<Extra> extras) {

        boolean matchesEverything() {
            return pathPrefix == null && headerName == null && model == null;
        }

        boolean needsModel() {
            return model != null;
        }

        boolean matches(String path, java.util.function.Function<String, String> header, String requestModel) {
            if (pathPrefix != null && !path.startsWith(pathPrefix)) {
                return false;
            }
            if (headerName != null) {
                String v = header.apply(headerName);
                if (v == null || (headerValue != null && !headerValue.equals(v))) {
                    return false;
                }
            }
            return model == null || model.equals(requestModel);
        }
    }

    /** A route file that cannot be used, with a message saying what is wrong and where. */
    public static final class InvalidRoutes extends RuntimeException {
        public InvalidRoutes(String message) {
            super(message);
        }
    }

    /** The first route matching the request (the last route matches every request). */
    public Route route(String path, java.util.function.Function<String, String> header, String model) {
        for (Route r : routes) {
            if (r.matches(path, header, model)) {
                return r;
            }
        }
        throw new IllegalStateException("the last route matches every request");
    }

    /** Whether some route matches by model name (then request bodies are read for their model). */
    public boolean matchesByModel() {
        return routes.stream().anyMatch(Route::needsModel);
    }

    /** Loads and validates a route file. */
    public static ProxyRoutes load(Path file) {
        if (file == null) {
            throw new InvalidRoutes("no route file: give --routes FILE (carbonledger.proxy.routes)");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidRoutes("route file " + file + " does not exist");
        }
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(Files.readString(file));
        } catch (IOException | JacksonException e) {
            throw new InvalidRoutes("route file " + file + " is not valid YAML: " + e.getMessage());
        }
        return parse(root, file.toString());
    }

    static ProxyRoutes parse(JsonNode root, String source) {
        String at = "route file " + source + ": ";
        if (root == null || !root.isObject()) {
            throw new InvalidRoutes(at + "expected a mapping with 'upstreams' and 'routes'");
        }
        JsonNode ups = root.get("upstreams");
        if (ups == null || !ups.isObject() || ups.isEmpty()) {
            throw new InvalidRoutes(at + "'upstreams' is missing or empty: name each upstream with its url");
        }
        Map<String, URI> upstreams = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : ups.properties()) {
            JsonNode url = e.getValue().isObject() ? e.getValue().get("url") : e.getValue();
            String where = at + "upstreams." + e.getKey() + ".url";
            if (url == null || !url.isString() || url.asString().isBlank()) {
                throw new InvalidRoutes(where + " is missing");
            }
            URI uri;
            try {
                uri = URI.create(url.asString().trim());
            } catch (IllegalArgumentException ex) {
                throw new InvalidRoutes(where + " '" + url.asString() + "' is not a URL: " + ex.getMessage());
            }
            if (uri.getScheme() == null || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    || uri.getHost() == null) {
                throw new InvalidRoutes(where + " '" + url.asString() + "' must be an absolute http(s) URL");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new InvalidRoutes(where + " '" + url.asString() + "' must not have a query or fragment");
            }
            String s = uri.toString();
            upstreams.put(e.getKey(), URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s));
        }
        JsonNode rs = root.get("routes");
        if (rs == null || !rs.isArray() || rs.isEmpty()) {
            throw new InvalidRoutes(at + "missing route: 'routes' is missing or empty; the last route must match "
                    + "every request (no 'match')");
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            routes.add(route(rs.get(i), at + "routes[" + i + "]", upstreams));
        }
        Route last = routes.get(routes.size() - 1);
        if (!last.matchesEverything()) {
            throw new InvalidRoutes(at + "missing route: the last route (routes[" + (routes.size() - 1)
                    + "]) has a 'match', so some requests would have no upstream; end with a route without 'match'");
        }
        return new ProxyRoutes(Map.copyOf(upstreams), List.copyOf(routes));
    }

    private static Route route(JsonNode r, String at, Map<String, URI> upstreams) {
        if (r == null || !r.isObject()) {
            throw new InvalidRoutes(at + " must be a mapping");
        }
        String name = text(r, "name", at);
        name = name == null ? at.substring(at.lastIndexOf("routes[")) : name;
        String upstream = text(r, "upstream", at);
        if (upstream == null) {
            throw new InvalidRoutes(at + ".upstream is missing");
        }
        if (!upstreams.containsKey(upstream)) {
            throw new InvalidRoutes(at + ".upstream '" + upstream + "' is unknown; defined upstreams: "
                    + String.join(", ", upstreams.keySet()));
        }
        String workload = text(r, "workload", at);
        if (workload == null) {
            throw new InvalidRoutes(at + ".workload is missing: the id of the workload its calls are metered on");
        }
        UUID workloadId;
        try {
            workloadId = UUID.fromString(workload);
        } catch (IllegalArgumentException e) {
            throw new InvalidRoutes(at + ".workload '" + workload + "' is not a workload id (UUID)");
        }
        String prefix = null;
        String headerName = null;
        String headerValue = null;
        String model = null;
        JsonNode match = r.get("match");
        if (match != null) {
            if (!match.isObject() || match.isEmpty()) {
                throw new InvalidRoutes(at + ".match must name pathPrefix, header and/or model");
            }
            for (Iterator<String> it = match.propertyNames().iterator(); it.hasNext(); ) {
                String key = it.next();
                if (!Set.of("pathPrefix", "header", "model").contains(key)) {
                    throw new InvalidRoutes(at + ".match." + key + " is unknown; use pathPrefix, header or model");
                }
            }
            prefix = text(match, "pathPrefix", at + ".match");
            if (prefix != null && !prefix.startsWith("/")) {
                throw new InvalidRoutes(at + ".match.pathPrefix '" + prefix + "' must start with /");
            }
            model = text(match, "model", at + ".match");
            JsonNode header = match.get("header");
            if (header != null) {
                if (header.isString()) {
                    headerName = header.asString();
                } else if (header.isObject()) {
                    headerName = text(header, "name", at + ".match.header");
                    headerValue = text(header, "value", at + ".match.header");
                }
                if (headerName == null || headerName.isBlank()) {
                    throw new InvalidRoutes(at + ".match.header needs a name (and optionally a value)");
                }
            }
        }
        Set<Extra> extras = EnumSet.noneOf(Extra.class);
        JsonNode ex = r.get("extras");
        if (ex != null) {
            if (!ex.isArray()) {
                throw new InvalidRoutes(at + ".extras must be a list of request-id, co2e");
            }
            for (int k = 0; k < ex.size(); k++) {
                String v = ex.get(k).asString();
                extras.add(Extra.of(v).orElseThrow(() -> new InvalidRoutes(at + ".extras: '" + v
                        + "' is unknown; use request-id, co2e")));
            }
        }
        return new Route(name, prefix, headerName, headerValue, model, upstream, upstreams.get(upstream), workloadId,
                Set.copyOf(extras));
    }

    private static String text(JsonNode node, String field, String at) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode() || v.asString().isBlank()) {
            throw new InvalidRoutes(at + "." + field + " must be a non-empty text");
        }
        return v.asString().trim();
    }

    /** Fails when an upstream does not accept a TCP connection within {@code timeout}. */
    public void checkReachable(Duration timeout) {
        for (Map.Entry<String, URI> e : upstreams.entrySet()) {
            URI u = e.getValue();
            int port = u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), port), (int) timeout.toMillis());
            } catch (IOException ex) {
                throw new InvalidRoutes("upstream '" + e.getKey() + "' (" + u + ") is unreachable: "
                        + ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage()));
            }
        }
    }
}
