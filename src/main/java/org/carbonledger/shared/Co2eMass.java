package org.carbonledger.shared;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;

/** A mass of CO2-equivalent in grams, exact to the microgram (6 decimals), never negative. */
public record Co2eMass(BigDecimal grams) implements Comparable<Co2eMass> {

    public static final int SCALE = 6;
    public static final Co2eMass ZERO = new Co2eMass(BigDecimal.ZERO);
    public static final BigDecimal GRAMS_PER_TONNE = BigDecimal.valueOf(1_000_000);

    public Co2eMass {
        Objects.requireNonNull(grams, "grams");
        if (grams.signum() < 0) {
            throw new IllegalArgumentException("CO2e mass must not be negative: " + grams);
        }
        grams = grams.setScale(SCALE, RoundingMode.HALF_EVEN);
    }

    public static Co2eMass ofGrams(BigDecimal grams) {
        return new Co2eMass(grams);
    }

    public static Co2eMass ofTonnes(long tonnes) {
        return new Co2eMass(GRAMS_PER_TONNE.multiply(BigDecimal.valueOf(tonnes)));
    }

    public Co2eMass plus(Co2eMass other) {
        return new Co2eMass(grams.add(other.grams));
    }

    public Co2eMass minus(Co2eMass other) {
        return new Co2eMass(grams.subtract(other.grams));
    }

    public Co2eMass min(Co2eMass other) {
        return compareTo(other) <= 0 ? this : other;
    }

    public boolean isZero() {
        return grams.signum() == 0;
    }

    public BigDecimal tonnes() {
        return grams.divide(GRAMS_PER_TONNE, SCALE + 6, RoundingMode.HALF_EVEN);
    }

    /** Whole tonnes needed to cover this mass (retirements come in whole credits). */
    public long wholeTonnesToCover() {
        return grams.divide(GRAMS_PER_TONNE, 0, RoundingMode.CEILING).longValueExact();
    }

    @Override
    public int compareTo(Co2eMass o) {
        return grams.compareTo(o.grams);
    }
}
