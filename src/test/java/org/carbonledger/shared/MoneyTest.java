package org.carbonledger.shared;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MoneyTest {

    @ParameterizedTest(name = "{0} g at {1} {2}/t = {3}")
    @CsvSource({
            "1000000, 100, USD, 100.00",
            "0.067635, 120, USD, 0.00",
            "150000, 0.1, USD, 0.02",    // 0.015 -> half-even -> 0.02
            "250000, 0.1, USD, 0.02",    // 0.025 -> half-even -> 0.02
            "5000, 1000, JPY, 5",        // zero-decimal currency
            "2500, 1000, JPY, 2",        // 2.5 -> half-even -> 2
            "3500, 1000, JPY, 4"         // 3.5 -> half-even -> 4
    })
    void pricesMassPerTonneRoundedHalfEvenToMinorUnits(String grams, String perTonne, String currency,
            String expected) {
        Money price = Money.priceOf(Co2eMass.ofGrams(new BigDecimal(grams)), Money.of(new BigDecimal(perTonne),
                currency));
        assertThat(price.amount()).isEqualByComparingTo(expected);
        assertThat(price.amount().scale()).isEqualTo(price.currency().getDefaultFractionDigits());
    }

    @Test
    void refusesToAddDifferentCurrencies() {
        assertThatThrownBy(() -> Money.of(BigDecimal.ONE, "USD").plus(Money.of(BigDecimal.ONE, "EUR")))
                .hasMessageContaining("cannot add EUR to USD");
    }
}
