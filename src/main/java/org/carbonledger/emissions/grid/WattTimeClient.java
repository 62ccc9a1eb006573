package org.carbonledger.emissions.grid;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * WattTime API v3: {@code GET /login} with HTTP basic auth answers {@code {token}} (valid 30 minutes, reused until a
 * 401 asks for a new one); {@code GET /v3/historical?region=&start=&end=&signal_type=co2_moer} with the bearer
 * token answers {@code {data: [{point_time, value}], meta: {region, signal_type, units, model: {date},
 * data_point_period_seconds}}}. MOER values in {@code lbs_co2_per_mwh} are converted to gCO2/kWh (× 0.45359237).
 */
public final class WattTimeClient {

    public static final String PROVIDER = "watttime";
    static final BigDecimal GRAMS_PER_KWH_PER_LB_PER_MWH = new BigDecimal("0.45359237");

    /** One marginal emission rate point with WattTime's provenance. */
    public record Point(String region, String signalType, Instant pointTime, Instant validTo, BigDecimal value,
            String units, BigDecimal gco2ePerKwh, String modelVersion) {
    }

    private final ProviderHttp http;
    private final String baseUrl;
    private final String username;
    private final String password;
    private volatile String token;

    public WattTimeClient(ProviderHttp http, String baseUrl, String username, String password) {
        this.http = http;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.username = username;
        this.password = password;
    }

    public List<Point> historicalMoer(String region, Instant start, Instant end) {
        URI uri = URI.create(baseUrl + "/v3/historical?region=" + ElectricityMapsClient.enc(region) + "&start="
                + ElectricityMapsClient.enc(start.toString()) + "&end=" + ElectricityMapsClient.enc(end.toString())
                + "&signal_type=co2_moer");
        JsonNode body;
        try {
            body = http.get(uri, Map.of("Authorization", "Bearer " + token()), true);
        } catch (ProviderHttp.Rejected e) {
            if (e.status() != 401) {
                throw http.unavailable(e.getMessage().substring(e.getMessage().indexOf(' ') + 1));
            }
            token = null; // expired: log in once more
            try {
                body = http.get(uri, Map.of("Authorization", "Bearer " + token()), true);
            } catch (ProviderHttp.Rejected again) {
                throw http.unavailable(again.getMessage().substring(again.getMessage().indexOf(' ') + 1));
            }
        }
        JsonNode meta = body.path("meta");
        String units = meta.path("units").asString("");
        BigDecimal factor = switch (units) {
            case "lbs_co2_per_mwh" -> GRAMS_PER_KWH_PER_LB_PER_MWH;
            case "g_co2_per_kwh" -> BigDecimal.ONE;
            default -> throw http.unavailable("unsupported units '" + units + "'");
        };
        long period = meta.path("data_point_period_seconds").asLong(300);
        String model = meta.path("model").path("date").asString("unknown");
        String signal = meta.path("signal_type").asString("co2_moer");
        String metaRegion = meta.path("region").asString(region);
        if (!body.path("data").isArray()) {
            throw http.unavailable("historical answer without a 'data' array");
        }
        List<Point> points = new ArrayList<>();
        for (JsonNode p : body.path("data")) {
            JsonNode value = p.path("value");
            if (!value.isNumber() || value.decimalValue().signum() < 0) {
                throw http.unavailable("a point without a non-negative value: " + p);
            }
            Instant at;
            try {
                at = OffsetDateTime.parse(p.path("point_time").asString("")).toInstant();
            } catch (DateTimeParseException e) {
                throw http.unavailable("'point_time' is not a timestamp: " + p.path("point_time"));
            }
            points.add(new Point(metaRegion, signal, at, at.plus(Duration.ofSeconds(period)), value.decimalValue(),
                    units, value.decimalValue().multiply(factor), p.path("version").asString(model)));
        }
        return points;
    }

    private String token() {
        String current = token;
        if (current != null) {
            return current;
        }
        if (username == null || username.isBlank() || password == null || password.isBlank()) {
            throw http.unavailable("no username/password configured (carbonledger.grid.watttime.*)");
        }
        String basic = Base64.getEncoder().encodeToString((username + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        JsonNode login;
        try {
            login = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/login")).GET()
                    .header("Authorization", "Basic " + basic).header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(30)).build());
        } catch (ProviderHttp.Rejected e) {
            throw http.unavailable("login refused (" + e.status() + ")");
        }
        if (!login.path("token").isString()) {
            throw http.unavailable("login answer without a token");
        }
        token = login.path("token").asString();
        return token;
    }
}
