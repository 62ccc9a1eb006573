package org.carbonledger.emissions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.json.JsonMapper;

/**
 * Methodology {@value EstimatorV1Model#VERSION}: GPU energy of one request, prefill and decode separately, with a
 * low/high range from the held-out calibration residuals. Coefficients are loaded from
 * {@code methodology/estimator-v1.json}, written by {@code ./carbonledger fit-estimator}. See
 * docs/domain/methodology.md.
 *
 * <pre>
 * E_decode  = out × exp(ln e_decode(A, B, n, GPU, clamp(out)))) × s_gpu × s_precision                        [J]
 * E_prefill = in × 2 × A·10⁹ FLOP × TDP / (dense FLOPS × u)                                                 [J]
 * </pre>
 */
public final class EstimatorV1 {

    public static final String VERSION = EstimatorV1Model.VERSION;
    public static final String RESOURCE = "/methodology/estimator-v1.json";

    /** Range widening for each flagged extrapolation (multiplied together); see methodology.md. */
    static final double WIDEN_PRECISION = 1.5;
    static final double WIDEN_BATCH_BELOW_CALIBRATION = 1.5;
    static final double WIDEN_UNKNOWN_GPU = 3.0;

    /** What is known about a request; null means "not given" and takes the documented default. */
    public record Inputs(String model, Double paramsBillion, Double activeParamsBillion, String precision,
            String gpu, Integer numGpus, Double batchOccupancy, long inputTokens, long outputTokens) {
    }

    /** GPU-scope energy [J] and what was assumed on the way. */
    public record GpuEnergy(double prefillJoules, double decodeJoules, double lowJoules, double highJoules,
            String gpuKey, int numGpus, double batchOccupancy, double activeParamsBillion, double gpuSeconds,
            Set<String> flags) {

        public double joules() {
            return prefillJoules + decodeJoules;
        }
    }

    /** Bad or insufficient input, naming the field. */
    public static final class InvalidInput extends IllegalArgumentException {
        private final String field;

        public InvalidInput(String field, String message) {
            super(field + ": " + message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    private static final EstimatorV1 STANDARD = new EstimatorV1(load(), GpuCatalog.standard(), 64);

    private final EstimatorFit.Result fit;
    private final GpuCatalog gpus;
    private final double defaultBatch;

    public EstimatorV1(EstimatorFit.Result fit, GpuCatalog gpus, double defaultBatch) {
        this.fit = fit;
        this.gpus = gpus;
        this.defaultBatch = defaultBatch;
    }

    public static EstimatorV1 standard() {
        return STANDARD;
    }

    public EstimatorV1 withDefaultBatch(double batch) {
        return new EstimatorV1(fit, gpus, batch);
    }

    public EstimatorFit.Result fit() {
        return fit;
    }

    public static EstimatorFit.Result load() {
        try (InputStream in = Objects.requireNonNull(EstimatorV1.class.getResourceAsStream(RESOURCE),
                "missing " + RESOURCE)) {
            return JsonMapper.builder().build().readValue(in, EstimatorFit.Result.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Estimates strictly: an unrecognised GPU, an unknown model without a parameter count or an unknown precision
     * is an {@link InvalidInput}.
     */
    public GpuEnergy estimate(Inputs in) {
        return estimate(in, true);
    }

    /**
     * @param strict false at ingest: an unrecognised GPU falls back to the H100 SXM reference with the flag
     *               {@code gpu-unknown} and a range widened ×{@value #WIDEN_UNKNOWN_GPU}, never a silent zero
     */
    public GpuEnergy estimate(Inputs in, boolean strict) {
        Set<String> flags = new TreeSet<>();
        double widen = 1;
        if (in.inputTokens() < 0) {
            throw new InvalidInput("input_tokens", "must not be negative");
        }
        if (in.outputTokens() < 0) {
            throw new InvalidInput("output_tokens", "must not be negative");
        }
        double params = params(in);
        double active = in.activeParamsBillion() != null ? in.activeParamsBillion()
                : fit.moeActiveParamsBillion().getOrDefault(in.model() == null ? "" : in.model(), params);
        if (!(active > 0) || active > params) {
            throw new InvalidInput("active_params_billion", "must be positive and at most params_billion");
        }
        GpuCatalog.Gpu gpu;
        if (in.gpu() == null || in.gpu().isBlank()) {
            if (strict) {
                throw new InvalidInput("gpu", "required");
            }
            gpu = gpus.byKey(EstimatorV1Model.H100_REFERENCE);
            flags.add("gpu-unknown");
            widen *= WIDEN_UNKNOWN_GPU;
        } else {
            Optional<GpuCatalog.Gpu> recognised = gpus.recognise(in.gpu());
            if (recognised.isEmpty() && strict) {
                throw new InvalidInput("gpu", "unrecognised GPU '" + in.gpu() + "'");
            }
            if (recognised.isEmpty()) {
                flags.add("gpu-unknown");
                widen *= WIDEN_UNKNOWN_GPU;
            }
            gpu = recognised.orElse(gpus.byKey(EstimatorV1Model.H100_REFERENCE));
        }
        GpuCatalog.Gpu reference = gpu.calibrated() ? gpu : gpus.byKey(gpu.scaledFrom());
        double gpuScale = 1;
        if (!gpu.calibrated()) {
            gpuScale = EstimatorFit.decodeSpecScale(gpu, reference);
            flags.add("gpu-spec-scaled");
            widen *= Math.max(fit.specScaledA100OverH100() / fit.fittedA100OverH100(),
                    fit.fittedA100OverH100() / fit.specScaledA100OverH100());
        }
        int bits = precisionBits(in.precision());
        double precisionScale = bits / 16.0;
        if (bits != 16) {
            flags.add("precision-scaled");
            widen *= WIDEN_PRECISION;
        }
        int numGpus = in.numGpus() != null ? in.numGpus() : defaultGpuCount(params, bits, gpu);
        if (numGpus < 1) {
            throw new InvalidInput("num_gpus", "must be at least 1");
        }
        if (in.numGpus() == null) {
            flags.add("num-gpus-default");
        }
        double batch;
        if (in.batchOccupancy() == null) {
            batch = defaultBatch;
            flags.add("batch-default");
        } else if (!(in.batchOccupancy() >= 1)) {
            throw new InvalidInput("avg_batch_size", "must be at least 1");
        } else {
            batch = in.batchOccupancy();
        }
        if (batch < fit.batchMin()) {
            flags.add("batch-below-calibration");
            widen *= WIDEN_BATCH_BELOW_CALIBRATION;
        }
        double b = Math.min(batch, fit.batchCeiling());
        double out = in.outputTokens();
        double decode = 0;
        if (out > 0) {
            double outForRate = Math.max(fit.outputTokensMin(), Math.min(fit.outputTokensMax(), out));
            double perToken = Math.exp(EstimatorV1Model.lnPerToken(fit.coefficients(), active, b, numGpus,
                    reference.key().equals(EstimatorV1Model.H100_REFERENCE), outForRate));
            decode = out * perToken * gpuScale * precisionScale;
        }
        double prefill = in.inputTokens() * 2 * active * 1e9 * gpu.tdpWatts()
                / (gpu.denseBf16Tflops() * 1e12 * fit.prefillUtilisation());
        double total = prefill + decode;
        double low = total * Math.exp(fit.residualLnQ05()) / widen;
        double high = total * Math.exp(fit.residualLnQ95()) * widen;
        double gpuSeconds = total / (gpu.tdpWatts() * fit.gpuPowerFractionOfTdp());
        return new GpuEnergy(prefill, decode, Math.min(low, total), Math.max(high, total), gpu.key(), numGpus,
                batch, active, gpuSeconds, Collections.unmodifiableSet(flags));
    }

    private double params(Inputs in) {
        if (in.paramsBillion() != null) {
            if (!(in.paramsBillion() > 0)) {
                throw new InvalidInput("params_billion", "must be positive");
            }
            return in.paramsBillion();
        }
        if (in.model() != null && fit.modelParamsBillion().containsKey(in.model())) {
            return fit.modelParamsBillion().get(in.model());
        }
        throw new InvalidInput("params_billion", in.model() == null || in.model().isBlank()
                ? "required when no known model is named"
                : "unknown model '" + in.model() + "'; give its parameter count");
    }

    /** Weight precision in bits: 16 (bf16/fp16, the calibration precision), 8, 4 or 32; empty = 16. */
    static int precisionBits(String precision) {
        if (precision == null || precision.isBlank()) {
            return 16;
        }
        return switch (precision.trim().toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16", "fp16", "float16", "16", "half" -> 16;
            case "fp8", "int8", "float8", "8", "e4m3", "e5m2" -> 8;
            case "int4", "fp4", "nf4", "4", "awq", "gptq" -> 4;
            case "fp32", "float32", "32" -> 32;
            default -> throw new InvalidInput("precision", "unknown precision '" + precision + "'");
        };
    }

    /** EcoLogits' rule on the actual GPU: 1.2 × P × bits/8 GB of memory, GPUs rounded up to a power of two. */
    static int defaultGpuCount(double params, int bits, GpuCatalog.Gpu gpu) {
        int needed = (int) Math.ceil(1.2 * params * bits / 8 / gpu.memoryGb());
        int n = 1;
        while (n < needed) {
            n *= 2;
        }
        return n;
    }
}
