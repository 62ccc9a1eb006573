package org.carbonledger.emissions.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.carbonledger.emissions.EstimatorV1;
import org.carbonledger.emissions.FullBoundary;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Stateless estimates of request shapes with methodology estimator-v1: nothing is stored. */
@RestController
class EstimatesController {

    /** Estimator field names (those of the CSV contract) → JSON property names. */
    private static final Map<String, String> FIELDS = Map.of("params_billion", "paramsBillion",
            "active_params_billion", "activeParamsBillion", "precision", "precision", "gpu", "gpu",
            "num_gpus", "numGpus", "avg_batch_size", "avgBatchSize", "input_tokens", "inputTokens",
            "output_tokens", "outputTokens", "pue", "pue");

    enum Scope { gpu, full }

    private final CallerContext callers;
    private final FullBoundary boundary = FullBoundary.defaults();

    EstimatesController(CallerContext callers) {
        this.callers = callers;
    }

    record EstimateRequest(@Size(max = 200) String model,
            @DecimalMin("0") @DecimalMax("100000") BigDecimal paramsBillion,
            @DecimalMin("0") @DecimalMax("100000") BigDecimal activeParamsBillion,
            @Size(max = 20) String precision,
            @Size(max = 100) String gpu,
            @Min(1) @Max(4096) Integer numGpus,
            @DecimalMin("1") @DecimalMax("100000") BigDecimal avgBatchSize,
            @Min(0) @Max(100000000) Long inputTokens,
            @Min(0) @Max(100000000) Long outputTokens) {
    }

    record EstimateBatch(Scope scope,
            @DecimalMin("1") @DecimalMax(value = "3", inclusive = false) BigDecimal pue,
            @NotNull @Size(min = 1, max = 1000) List<@Valid @NotNull EstimateRequest> requests) {
    }

    record Components(BigDecimal energyJoulesAccelerator, BigDecimal energyJoulesHost, BigDecimal energyJoulesIdle,
            BigDecimal energyJoulesPueOverhead, BigDecimal embodiedCo2eGrams) {
    }

    record Estimate(BigDecimal energyJoules, BigDecimal energyJoulesLow, BigDecimal energyJoulesHigh,
            BigDecimal energyJoulesPrefill, BigDecimal energyJoulesDecode, String gpu, int numGpus,
            BigDecimal avgBatchSize, List<String> flags, Components components) {
    }

    record Estimates(String methodologyVersion, Scope scope, BigDecimal pue, List<Estimate> estimates) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @PostMapping("/v1/estimates")
    Estimates estimate(@Valid @RequestBody EstimateBatch body) {
        callers.caller();
        Scope scope = body.scope() == null ? Scope.gpu : body.scope();
        BigDecimal pue = body.pue() == null ? new BigDecimal("1.2") : body.pue();
        EstimatorV1 estimator = EstimatorV1.standard();
        List<Estimate> out = new ArrayList<>();
        for (int i = 0; i < body.requests().size(); i++) {
            EstimateRequest r = body.requests().get(i);
            try {
                EstimatorV1.GpuEnergy e = estimator.estimate(new EstimatorV1.Inputs(blankToNull(r.model()),
                        d(r.paramsBillion()), d(r.activeParamsBillion()), blankToNull(r.precision()),
                        blankToNull(r.gpu()), r.numGpus(), d(r.avgBatchSize()),
                        r.inputTokens() == null ? 0 : r.inputTokens(), r.outputTokens() == null ? 0 : r.outputTokens()));
                if (scope == Scope.gpu) {
                    out.add(new Estimate(j(e.joules()), j(e.lowJoules()), j(e.highJoules()), j(e.prefillJoules()),
                            j(e.decodeJoules()), e.gpuKey(), e.numGpus(), j(e.batchOccupancy()),
                            List.copyOf(e.flags()), null));
                } else {
                    FullBoundary.Components c = boundary.of(e, pue.doubleValue());
                    out.add(new Estimate(j(c.totalJoules()), j(c.totalJoulesLow()), j(c.totalJoulesHigh()),
                            j(e.prefillJoules()), j(e.decodeJoules()), e.gpuKey(), e.numGpus(),
                            j(e.batchOccupancy()), List.copyOf(e.flags()), new Components(j(c.acceleratorJoules()),
                                    j(c.hostJoules()), j(c.idleJoules()), j(c.overheadJoules()),
                                    j(c.embodiedGrams()))));
                }
            } catch (EstimatorV1.InvalidInput e) {
                String field = FIELDS.getOrDefault(e.field(), e.field());
                throw ApiProblem.invalid("requests[" + i + "]." + field,
                        e.getMessage().substring(e.field().length() + 2));
            }
        }
        return new Estimates(EstimatorV1.VERSION, scope, scope == Scope.full ? pue : null, out);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Double d(BigDecimal v) {
        return v == null ? null : v.doubleValue();
    }

    private static BigDecimal j(double v) {
        return BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_EVEN);
    }
}
