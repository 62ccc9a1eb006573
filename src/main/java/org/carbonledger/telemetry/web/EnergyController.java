package org.carbonledger.telemetry.web;

import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.telemetry.EnergyIngest;
import org.carbonledger.telemetry.EnergyIngest.Candidate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** GPU energy counter samples, as JSON or as the Prometheus text a DCGM exporter serves. */
@RestController
class EnergyController {

    /** DCGM's cumulative energy counter, in millijoules since the driver was loaded. */
    static final String DCGM_METRIC = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";
    static final String WORKLOAD_LABEL = "carbonledger_workload_id";

    private final EnergyIngest ingest;
    private final CallerContext callers;
    private final JsonMapper json;
    private final Clock clock;

    EnergyController(EnergyIngest ingest, CallerContext callers, JsonMapper json, Clock clock) {
        this.ingest = ingest;
        this.callers = callers;
        this.json = json;
        this.clock = clock;
    }

    record EnergyBatch(List<EnergySample> samples) {
    }

    record EnergySample(UUID workloadId, String nodeId, Integer gpu, Instant sampledAt, BigDecimal energyJoulesTotal) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.INGEST)
    @PostMapping(path = "/v1/telemetry/energy", consumes = {MediaType.APPLICATION_JSON_VALUE,
            MediaType.TEXT_PLAIN_VALUE})
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = EnergyBatch.class)),
            @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string"))})
    EnergyIngest.EnergyResult ingest(@RequestHeader(HttpHeaders.CONTENT_TYPE) MediaType contentType,
            @RequestHeader(name = "X-Carbonledger-Workload", required = false) String workload,
            @RequestBody byte[] body) {
        UUID tenant = callers.requireTenant();
        if (contentType.isCompatibleWith(MediaType.TEXT_PLAIN)) {
            return prometheus(tenant, new String(body, StandardCharsets.UTF_8), workload);
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw new ApiProblem(org.springframework.http.HttpStatus.BAD_REQUEST, "Unreadable request body",
                    "malformed JSON: " + TelemetryController.firstLine(e.getOriginalMessage()), "body");
        }
        JsonNode samples = root.isObject() ? root.get("samples") : null;
        if (samples == null || !samples.isArray()) {
            throw ApiProblem.invalid("samples", "samples is required: an array of energy samples");
        }
        List<Candidate> candidates = new ArrayList<>(samples.size());
        for (JsonNode s : samples) {
            candidates.add(jsonSample(s));
        }
        return ingest.ingest(tenant, candidates, "samples", 0);
    }

    private static Candidate jsonSample(JsonNode node) {
        if (!node.isObject()) {
            return Candidate.rejected("", "an energy sample is a JSON object");
        }
        try {
            Long gpu = RequestRecords.integer(node, "gpu");
            if (gpu != null && (gpu < 0 || gpu > Integer.MAX_VALUE)) {
                return Candidate.rejected("gpu", "gpu must be between 0 and 1023, got " + gpu);
            }
            JsonNode joules = node.get("energyJoulesTotal");
            BigDecimal energy = null;
            if (joules != null && !joules.isNull()) {
                if (!joules.isNumber()) {
                    return Candidate.rejected("energyJoulesTotal", "energyJoulesTotal must be a number");
                }
                energy = joules.decimalValue();
            }
            return Candidate.of(new EnergyIngest.Sample(RequestRecords.uuid(node, "workloadId"),
                    RequestRecords.text(node, "nodeId"), gpu == null ? null : gpu.intValue(),
                    RequestRecords.instant(node, "sampledAt"), energy));
        } catch (RequestRecords.FieldException e) {
            return Candidate.rejected(e.field, e.getMessage());
        }
    }

    private EnergyIngest.EnergyResult prometheus(UUID tenant, String text, String headerWorkload) {
        Instant scrapedAt = clock.instant();
        List<Candidate> candidates = new ArrayList<>();
        int ignored = 0;
        for (PrometheusText.Sample s : PrometheusText.parse(text)) {
            if (!s.name().equals(DCGM_METRIC)) {
                ignored++;
                continue;
            }
            candidates.add(dcgmSample(s, headerWorkload, scrapedAt));
        }
        return ingest.ingest(tenant, candidates, "samples", ignored);
    }

    private static Candidate dcgmSample(PrometheusText.Sample s, String headerWorkload, Instant scrapedAt) {
        String workload = s.labels().getOrDefault(WORKLOAD_LABEL, headerWorkload);
        if (workload == null) {
            return Candidate.rejected("workloadId", "line " + s.line() + ": no workload: set the label "
                    + WORKLOAD_LABEL + " or the header X-Carbonledger-Workload");
        }
        UUID workloadId;
        try {
            workloadId = UUID.fromString(workload);
        } catch (IllegalArgumentException e) {
            return Candidate.rejected("workloadId", "line " + s.line() + ": '" + workload + "' is not a UUID");
        }
        String gpu = s.labels().get("gpu");
        if (gpu == null || !gpu.matches("\\d{1,4}")) {
            return Candidate.rejected("gpu", "line " + s.line() + ": label gpu must be a GPU index, got " + gpu);
        }
        BigDecimal millijoules = PrometheusText.decimal(s.value());
        if (millijoules == null) {
            return Candidate.rejected("energyJoulesTotal", "line " + s.line() + ": the counter is " + s.value());
        }
        return Candidate.of(new EnergyIngest.Sample(workloadId, s.labels().get("Hostname"), Integer.valueOf(gpu),
                s.timestamp() != null ? s.timestamp() : scrapedAt, millijoules.movePointLeft(3)));
    }
}
