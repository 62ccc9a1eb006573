package org.carbonledger.emissions.grid;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Electricity Maps API v3, carbon intensity: {@code GET /v3/carbon-intensity/history?zone=} (the last 24 hours) and
 * {@code GET /v3/carbon-intensity/past?zone=&datetime=} (one hour), authenticated by the {@code auth-token} header.
 * Answers: {@code {zone, history: [point…]}} and one point, a point being {@code zone, carbonIntensity (gCO2eq/kWh),
 * datetime, updatedAt, emissionFactorType (lifecycle|direct), isEstimated, estimationMethod}.
 */
public final class ElectricityMapsClient {

    public static final String PROVIDER = "electricity-maps";

    /** One hourly average intensity with Electricity Maps' provenance. */
    public record Point(String zone, BigDecimal gco2ePerKwh, Instant datetime, Instant updatedAt,
            String emissionFactorType, boolean estimated, String estimationMethod) {
    }

    private final ProviderHttp http;
    private final String baseUrl;
    private final String token;

    public ElectricityMapsClient(ProviderHttp http, String baseUrl, String token) {
        this.http = http;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    public List<Point> history(String zone) {
        JsonNode body = call("/v3/carbon-intensity/history?zone=" + enc(zone));
        JsonNode history = body.path("history");
        if (!history.isArray()) {
            throw http.unavailable("history answer without a 'history' array");
        }
        List<Point> points = new ArrayList<>();
        for (JsonNode p : history) {
            points.add(point(p));
        }
        return points;
    }

    public Point past(String zone, Instant datetime) {
        return point(call("/v3/carbon-intensity/past?zone=" + enc(zone) + "&datetime=" + enc(datetime.toString())));
    }

    private JsonNode call(String pathAndQuery) {
        if (token == null || token.isBlank()) {
            throw http.unavailable("no auth token configured (carbonledger.grid.electricity-maps.token)");
        }
        try {
            return http.get(URI.create(baseUrl + pathAndQuery), Map.of("auth-token", token), true);
        } catch (ProviderHttp.Rejected e) {
            throw http.unavailable(e.getMessage().substring(e.getMessage().indexOf(' ') + 1));
        }
    }

    private Point point(JsonNode p) {
        JsonNode intensity = p.path("carbonIntensity");
        if (!intensity.isNumber() || intensity.decimalValue().signum() < 0 || !p.path("zone").isString()) {
            throw http.unavailable("a point without zone or a non-negative carbonIntensity: " + p);
        }
        return new Point(p.path("zone").asString(), intensity.decimalValue(), instant(p, "datetime"),
                p.path("updatedAt").isString() ? instant(p, "updatedAt") : null,
                p.path("emissionFactorType").asString("lifecycle"), p.path("isEstimated").asBoolean(false),
                p.path("estimationMethod").isString() ? p.path("estimationMethod").asString() : null);
    }

    private Instant instant(JsonNode p, String field) {
        try {
            return OffsetDateTime.parse(p.path(field).asString("")).toInstant();
        } catch (DateTimeParseException e) {
            throw http.unavailable("'" + field + "' is not a timestamp: " + p.path(field));
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
