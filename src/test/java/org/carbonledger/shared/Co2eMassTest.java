package org.carbonledger.shared;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Co2eMassTest {

    @Test
    void keepsMicrogramPrecisionAndRefusesNegativeMass() {
        assertThat(Co2eMass.ofGrams(new BigDecimal("0.0000005")).grams()).isEqualByComparingTo("0.000000");
        assertThat(Co2eMass.ofGrams(new BigDecimal("0.0000015")).grams()).isEqualByComparingTo("0.000002");
        assertThatThrownBy(() -> Co2eMass.ofGrams(new BigDecimal("-0.1"))).hasMessageContaining("negative");
    }

    @Test
    void wholeTonnesToCoverRoundUp() {
        assertThat(Co2eMass.ofGrams(new BigDecimal("0.000001")).wholeTonnesToCover()).isEqualTo(1);
        assertThat(Co2eMass.ofGrams(new BigDecimal("1000000")).wholeTonnesToCover()).isEqualTo(1);
        assertThat(Co2eMass.ofGrams(new BigDecimal("1000000.000001")).wholeTonnesToCover()).isEqualTo(2);
        assertThat(Co2eMass.ZERO.wholeTonnesToCover()).isZero();
    }

    @Test
    void arithmeticIsExact() {
        Co2eMass a = Co2eMass.ofGrams(new BigDecimal("0.1"));
        Co2eMass b = Co2eMass.ofGrams(new BigDecimal("0.2"));
        assertThat(a.plus(b).grams()).isEqualByComparingTo("0.3");
        assertThat(Co2eMass.ofTonnes(1).minus(a).grams()).isEqualByComparingTo("999999.9");
        assertThat(a.min(b)).isEqualTo(a);
    }
}
