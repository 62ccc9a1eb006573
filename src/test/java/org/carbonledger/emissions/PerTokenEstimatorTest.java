package org.carbonledger.emissions;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PerTokenEstimatorTest {

    private final PerTokenEstimator estimator = new PerTokenEstimator();

    @Test
    void seventyBillionModelWorkedExample() {
        // 70 × (0.00285714 × 500 + 0.0221869 × 300) × 1.135 = 642.324648 J (docs/domain/formulas.md)
        var e = estimator.estimate(new BigDecimal("70"), 500, 300, new BigDecimal("1.135"));
        assertThat(e.central().joules()).isEqualByComparingTo("642.324648");
        assertThat(e.low()).isLessThan(e.central());
        assertThat(e.high()).isGreaterThan(e.central());
    }

    @Test
    void energyScalesWithParametersTokensAndPue() {
        var base = estimator.estimate(new BigDecimal("8"), 100, 100, BigDecimal.ONE).central().joules();
        assertThat(estimator.estimate(new BigDecimal("16"), 100, 100, BigDecimal.ONE).central().joules())
                .isEqualByComparingTo(base.multiply(BigDecimal.valueOf(2)));
        assertThat(estimator.estimate(new BigDecimal("8"), 200, 200, BigDecimal.ONE).central().joules())
                .isEqualByComparingTo(base.multiply(BigDecimal.valueOf(2)));
        assertThat(estimator.estimate(new BigDecimal("8"), 100, 100, new BigDecimal("1.5")).central().joules())
                .isEqualByComparingTo(base.multiply(new BigDecimal("1.5")));
    }

    @Test
    void decodeTokensCostMoreThanPrefillTokens() {
        var prefill = estimator.estimate(BigDecimal.TEN, 1000, 0, BigDecimal.ONE).central();
        var decode = estimator.estimate(BigDecimal.TEN, 0, 1000, BigDecimal.ONE).central();
        assertThat(decode).isGreaterThan(prefill);
        assertThat(estimator.estimate(BigDecimal.TEN, 0, 0, BigDecimal.ONE).central().joules()).isZero();
    }

    @Test
    void rejectsImpossibleInputs() {
        assertThatThrownBy(() -> estimator.estimate(BigDecimal.ZERO, 1, 1, BigDecimal.ONE))
                .hasMessageContaining("parameter count");
        assertThatThrownBy(() -> estimator.estimate(BigDecimal.ONE, -1, 1, BigDecimal.ONE))
                .hasMessageContaining("token counts");
        assertThatThrownBy(() -> estimator.estimate(BigDecimal.ONE, 1, 1, new BigDecimal("0.9")))
                .hasMessageContaining("PUE");
    }
}
