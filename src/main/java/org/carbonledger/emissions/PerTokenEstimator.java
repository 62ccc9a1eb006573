package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.util.Objects;
import org.carbonledger.shared.Energy;

/**
 * Methodology {@value #VERSION}: energy of one request from the model's parameter count and its token counts.
 *
 * <pre>
 * E_gpu  = P × (k_prefill × input_tokens + k_decode × output_tokens)     [J], P = parameters in billions
 * E      = E_gpu × PUE
 * </pre>
 *
 * k_decode is the median over the 356 configurations of {@code mlenergy_v2_measured.csv} of GPU energy per output
 * token divided by parameters (P10 and P90 give the low/high range); k_prefill is 2 FLOP per parameter and token at
 * an effective 0.7 TFLOP/J (H100 dense BF16 at ~50% utilisation), halved/doubled for the range. See
 * docs/domain/formulas.md.
 */
public final class PerTokenEstimator {

    public static final String VERSION = "per-token-v0";

    static final BigDecimal K_DECODE = new BigDecimal("0.0221869");
    static final BigDecimal K_DECODE_LOW = new BigDecimal("0.0104852");
    static final BigDecimal K_DECODE_HIGH = new BigDecimal("0.0635020");
    static final BigDecimal K_PREFILL = new BigDecimal("0.00285714");
    static final BigDecimal K_PREFILL_LOW = new BigDecimal("0.00142857");
    static final BigDecimal K_PREFILL_HIGH = new BigDecimal("0.00571429");

    /** Central estimate and range, all including PUE. */
    public record Estimate(Energy central, Energy low, Energy high) {
    }

    public Estimate estimate(BigDecimal paramsBillion, long inputTokens, long outputTokens, BigDecimal pue) {
        Objects.requireNonNull(paramsBillion, "paramsBillion");
        Objects.requireNonNull(pue, "pue");
        if (paramsBillion.signum() <= 0) {
            throw new IllegalArgumentException("parameter count must be positive");
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative");
        }
        if (pue.compareTo(BigDecimal.ONE) < 0) {
            throw new IllegalArgumentException("PUE must be at least 1");
        }
        return new Estimate(
                energy(paramsBillion, inputTokens, outputTokens, K_PREFILL, K_DECODE, pue),
                energy(paramsBillion, inputTokens, outputTokens, K_PREFILL_LOW, K_DECODE_LOW, pue),
                energy(paramsBillion, inputTokens, outputTokens, K_PREFILL_HIGH, K_DECODE_HIGH, pue));
    }

    private static Energy energy(BigDecimal params, long in, long out, BigDecimal kIn, BigDecimal kOut, BigDecimal pue) {
        BigDecimal perBillion = kIn.multiply(BigDecimal.valueOf(in)).add(kOut.multiply(BigDecimal.valueOf(out)));
        return Energy.ofJoules(perBillion.multiply(params).multiply(pue));
    }
}
