package org.carbonledger.emissions;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.data.Percentage.withPercentage;

class EstimatorV1Test {

    private final EstimatorV1 estimator = EstimatorV1.standard();

    private static EstimatorV1.Inputs shape(double params, String gpu, Integer gpus, Double batch, long in, long out) {
        return new EstimatorV1.Inputs(null, params, null, null, gpu, gpus, batch, in, out);
    }

    @Test
    void seventyBillionOnFourH100WorkedExample() {
        // ln e = 2.811317 + 0.408893·ln 70 − 1.399648·ln 64 + 0.098078·(ln 64)² + 0.738557·ln 4 + 0.178949
        //        − 0.181638·ln 300 = 0.590687 → 1.805229 J/token × 300 = 541.5687 J decode;
        // prefill 500 × 2 × 70e9 × 700 W / (989e12 × 0.5) = 99.0900 J (docs/domain/methodology.md)
        var e = estimator.estimate(shape(70, "H100", 4, 64.0, 500, 300));
        assertThat(e.decodeJoules()).isCloseTo(541.5687, within(0.001));
        assertThat(e.prefillJoules()).isCloseTo(99.0900, within(0.0001));
        assertThat(e.joules()).isCloseTo(640.6587, within(0.001));
        assertThat(e.lowJoules()).isCloseTo(640.6587 * 0.605410, withPercentage(0.01));
        assertThat(e.highJoules()).isCloseTo(640.6587 * 1.777413, withPercentage(0.01));
        assertThat(e.gpuKey()).isEqualTo("H100-SXM5-80GB");
        assertThat(e.flags()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "H100, H100-SXM5-80GB", "H100-80GB-HBM3, H100-SXM5-80GB", "NVIDIA H100 80GB HBM3, H100-SXM5-80GB",
        "h100-pcie, H100-PCIE-80GB", "NVIDIA A100-SXM4-40GB, A100-SXM4-40GB", "A100-SXM4-80GB, A100-SXM4-80GB",
        "A100, A100-SXM4-40GB", "B200, B200-180GB", "NVIDIA H200, H200-SXM-141GB", "L4, L4-24GB",
        "NVIDIA L40S, L40S-48GB", "Tesla T4, T4-16GB", "A10G, A10G-24GB", "Tesla V100-SXM2-32GB, V100-SXM2-32GB"})
    void recognisesGpuNamesAsPeopleWriteThem(String name, String key) {
        assertThat(GpuCatalog.standard().recognise(name)).get().extracting(GpuCatalog.Gpu::key).isEqualTo(key);
    }

    @Test
    void unknownGpuIsAnErrorWhenStrictAndAFlaggedWiderFallbackOtherwise() {
        assertThatThrownBy(() -> estimator.estimate(shape(8, "Z9000", 1, 32.0, 100, 100)))
                .isInstanceOf(EstimatorV1.InvalidInput.class).hasMessage("gpu: unrecognised GPU 'Z9000'");
        var fallback = estimator.estimate(shape(8, "Z9000", 1, 32.0, 100, 100), false);
        var h100 = estimator.estimate(shape(8, "H100", 1, 32.0, 100, 100));
        assertThat(fallback.flags()).containsExactly("gpu-unknown");
        assertThat(fallback.joules()).isEqualTo(h100.joules()).isPositive();
        assertThat(fallback.highJoules()).isCloseTo(h100.highJoules() * 3, withPercentage(1e-9));
        assertThat(fallback.lowJoules()).isCloseTo(h100.lowJoules() / 3, withPercentage(1e-9));
    }

    @Test
    void unknownModelNeedsAParameterCountAndKnownModelsAreLookedUp() {
        assertThatThrownBy(() -> estimator.estimate(new EstimatorV1.Inputs("acme/secret-model", null, null, null,
                "H100", 1, 32.0, 10, 10))).isInstanceOf(EstimatorV1.InvalidInput.class)
                .hasMessage("params_billion: unknown model 'acme/secret-model'; give its parameter count");
        var mixtral = estimator.estimate(new EstimatorV1.Inputs("mistralai/Mixtral-8x7B-Instruct-v0.1", null, null,
                null, "H100", 2, 32.0, 10, 10));
        assertThat(mixtral.activeParamsBillion()).isEqualTo(12.9);
    }

    @Test
    void rejectsImpossibleInputsNamingTheField() {
        assertThatThrownBy(() -> estimator.estimate(shape(0, "H100", 1, 8.0, 1, 1))).hasMessage(
                "params_billion: must be positive");
        assertThatThrownBy(() -> estimator.estimate(shape(8, "H100", 1, 0.5, 1, 1))).hasMessage(
                "avg_batch_size: must be at least 1");
        assertThatThrownBy(() -> estimator.estimate(shape(8, "H100", 0, 8.0, 1, 1))).hasMessage(
                "num_gpus: must be at least 1");
        assertThatThrownBy(() -> estimator.estimate(shape(8, "H100", 1, 8.0, -1, 1))).hasMessage(
                "input_tokens: must not be negative");
        assertThatThrownBy(() -> estimator.estimate(new EstimatorV1.Inputs(null, 8.0, null, "int3", "H100", 1, 8.0,
                1, 1))).hasMessage("precision: unknown precision 'int3'");
        assertThatThrownBy(() -> estimator.estimate(new EstimatorV1.Inputs(null, 8.0, 9.0, null, "H100", 1, 8.0,
                1, 1))).hasMessage("active_params_billion: must be positive and at most params_billion");
    }

    @Test
    void gpusAbsentFromCalibrationAreSpecScaledAndFlaggedWithAWiderRange() {
        var h100 = estimator.estimate(shape(8, "H100", 1, 64.0, 0, 200));
        var h200 = estimator.estimate(shape(8, "H200", 1, 64.0, 0, 200));
        // same TDP, 3.35 → 4.8 TB/s: decode × 3350/4800
        assertThat(h200.decodeJoules()).isCloseTo(h100.decodeJoules() * 3350 / 4800, withPercentage(1e-9));
        assertThat(h200.flags()).containsExactly("gpu-spec-scaled");
        assertThat(h200.highJoules() / h200.joules()).isGreaterThan(h100.highJoules() / h100.joules());
        var l4 = estimator.estimate(shape(8, "L4", 1, 64.0, 100, 0));
        // prefill on the L4's own specs: 100 × 2 × 8e9 × 72 W / (121e12 × 0.5)
        assertThat(l4.prefillJoules()).isCloseTo(100 * 2 * 8e9 * 72 / (121e12 * 0.5), withPercentage(1e-9));
    }

    @Test
    void defaultsAreFlagged() {
        var e = estimator.estimate(new EstimatorV1.Inputs(null, 140.0, null, "fp8", "H100", null, null, 10, 10));
        assertThat(e.flags()).containsExactly("batch-default", "num-gpus-default", "precision-scaled");
        assertThat(e.numGpus()).isEqualTo(4); // 1.2 × 140 GB = 168 GB on 80 GB GPUs → 3 → 4
        assertThat(e.batchOccupancy()).isEqualTo(64);
    }

    /** Seeded random request shapes over the whole input space (calibrated and spec-scaled GPUs). */
    @Test
    void propertiesHoldOnRandomShapes() {
        Random random = new Random(20261128);
        String[] gpus = {"H100", "A100", "B200", "H200", "L4", "L40S", "T4", "A10G", "V100", "A100-SXM4-80GB"};
        FullBoundary boundary = FullBoundary.defaults();
        for (int i = 0; i < 2000; i++) {
            double params = 0.5 + random.nextDouble() * 400;
            String gpu = gpus[random.nextInt(gpus.length)];
            int n = 1 << random.nextInt(5);
            double batch = 1 + random.nextDouble() * 3000;
            long in = random.nextInt(8000);
            long out = random.nextInt(4000);
            var e = estimator.estimate(shape(params, gpu, n, batch, in, out));
            assertThat(e.prefillJoules()).isGreaterThanOrEqualTo(0);
            assertThat(e.decodeJoules()).isGreaterThanOrEqualTo(0);
            assertThat(e.lowJoules()).isLessThanOrEqualTo(e.joules());
            assertThat(e.highJoules()).isGreaterThanOrEqualTo(e.joules());
            // energy grows with tokens
            var moreOut = estimator.estimate(shape(params, gpu, n, batch, in, out + 1 + random.nextInt(500)));
            var moreIn = estimator.estimate(shape(params, gpu, n, batch, in + 1 + random.nextInt(500), out));
            assertThat(moreOut.joules()).isGreaterThan(e.joules());
            assertThat(moreIn.joules()).isGreaterThan(e.joules());
            // energy per token falls as batch occupancy rises (flat above the calibrated ceiling)
            double higher = batch * (1.01 + random.nextDouble());
            var busier = estimator.estimate(shape(params, gpu, n, higher, in, out));
            if (out > 0 && batch < estimator.fit().batchCeiling()) {
                assertThat(busier.joules()).isLessThan(e.joules());
            } else {
                assertThat(busier.joules()).isLessThanOrEqualTo(e.joules());
            }
            var full = boundary.of(e, 1 + random.nextDouble());
            assertThat(full.hostJoules()).isGreaterThanOrEqualTo(0);
            assertThat(full.idleJoules()).isGreaterThanOrEqualTo(0);
            assertThat(full.overheadJoules()).isGreaterThanOrEqualTo(0);
            assertThat(full.embodiedGrams()).isGreaterThanOrEqualTo(0);
            assertThat(full.totalJoulesLow()).isLessThanOrEqualTo(full.totalJoules());
            assertThat(full.totalJoulesHigh()).isGreaterThanOrEqualTo(full.totalJoules());
        }
    }
}
