package org.carbonledger.emissions;

import java.util.List;
import java.util.Map;

/**
 * The functional form of methodology {@value #VERSION}, shared by the fitting procedure and the estimator so that
 * the fitted coefficients are always evaluated by the formula they were fitted for.
 *
 * <pre>
 * ln e_decode = c0 + c1·ln A + c2·ln B + c3·(ln B)² + c4·ln n + c5·[H100] + c6·ln out     [J per output token]
 * </pre>
 *
 * A = active parameters (billions), B = batch occupancy (average concurrent requests), n = GPUs serving the model,
 * [H100] = 1 on the H100 SXM reference (0 on the A100 SXM4 40GB reference), out = output tokens of the request.
 */
public final class EstimatorV1Model {

    public static final String VERSION = "estimator-v1";

    public static final List<String> FEATURES = List.of("intercept", "ln_active_params_billion", "ln_batch",
            "ln_batch_squared", "ln_num_gpus", "h100_reference", "ln_output_tokens");

    /**
     * Active parameter counts of the mixture-of-experts models in the calibration set, from their model cards
     * (Mixtral 8x7B: 12.9 B active of 46.7 B; Mixtral 8x22B: 39 B active of 141 B; mistral.ai announcements).
     */
    public static final Map<String, Double> MOE_ACTIVE_PARAMS_BILLION = Map.of(
            "mistralai/Mixtral-8x7B-Instruct-v0.1", 12.9,
            "mistralai/Mixtral-8x22B-Instruct-v0.1", 39.0);

    public static final String H100_REFERENCE = "H100-SXM5-80GB";

    private EstimatorV1Model() {
    }

    /** Regressors without the intercept (the regression adds it). */
    public static double[] regressors(double activeParamsBillion, double batch, double numGpus, boolean h100,
            double outputTokens) {
        double lb = Math.log(batch);
        return new double[] {Math.log(activeParamsBillion), lb, lb * lb, Math.log(numGpus), h100 ? 1 : 0,
                Math.log(outputTokens)};
    }

    /** ln of the decode energy per output token [J], for coefficients {@code c} (intercept first). */
    public static double lnPerToken(double[] c, double activeParamsBillion, double batch, double numGpus,
            boolean h100, double outputTokens) {
        double[] x = regressors(activeParamsBillion, batch, numGpus, h100, outputTokens);
        double y = c[0];
        for (int i = 0; i < x.length; i++) {
            y += c[i + 1] * x[i];
        }
        return y;
    }
}
