package org.carbonledger.shared;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;

/** Energy in joules (the canonical unit; GPU counters report joules), exact to the microjoule, never negative. */
public record Energy(BigDecimal joules) implements Comparable<Energy> {

    public static final int SCALE = 6;
    public static final Energy ZERO = new Energy(BigDecimal.ZERO);
    public static final BigDecimal JOULES_PER_KWH = BigDecimal.valueOf(3_600_000);

    public Energy {
        Objects.requireNonNull(joules, "joules");
        if (joules.signum() < 0) {
            throw new IllegalArgumentException("energy must not be negative: " + joules);
        }
        joules = joules.setScale(SCALE, RoundingMode.HALF_EVEN);
    }

    public static Energy ofJoules(BigDecimal joules) {
        return new Energy(joules);
    }

    public Energy plus(Energy other) {
        return new Energy(joules.add(other.joules));
    }

    public Energy times(BigDecimal factor) {
        return new Energy(joules.multiply(factor));
    }

    public BigDecimal kilowattHours() {
        return joules.divide(JOULES_PER_KWH, 12, RoundingMode.HALF_EVEN);
    }

    @Override
    public int compareTo(Energy o) {
        return joules.compareTo(o.joules);
    }
}
