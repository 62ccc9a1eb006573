package org.carbonledger.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.carbonledger.shared.Money;

/**
 * How a tenant is priced and how often it is invoiced.
 *
 * @param pricePerTonne the base price for FIXED pricing; null for PASS_THROUGH (the lot price of the credits) and
 *                      PRODUCT (the offset product's price)
 * @param marginPercent added to the base price per tonne (every mode)
 * @param feePerInvoice a fixed line on every invoice (0 for none)
 * @param periodDays null for calendar months (UTC), else periods of this many days counted from {@code periodAnchor}
 * @param offsetProductId for PRODUCT pricing, the offset product (catalog) whose price per tonne is billed
 */
public record BillingPolicy(PricingMode pricingMode, BigDecimal pricePerTonne, BigDecimal marginPercent,
        BigDecimal feePerInvoice, String currency, Uncertainty uncertainty, Integer periodDays,
        LocalDate periodAnchor, UUID offsetProductId) {

    public enum PricingMode {
        /** the policy's own price per tonne */
        FIXED,
        /** the lot price of the credits retirement would take next */
        PASS_THROUGH,
        /** the list price per tonne of one offset product of the catalog */
        PRODUCT
    }

    /** Which estimate of a request's emissions is billed. */
    public enum Uncertainty {
        /** the central (location-based) estimate */
        CENTRAL,
        /** the upper bound of the estimate's range: conservative pricing */
        UPPER_BOUND
    }

    /** The price per tonne billed: base × (1 + margin / 100), kept at full precision (rounding happens per line). */
    public Money effectivePrice(BigDecimal basePerTonne) {
        BigDecimal factor = BigDecimal.ONE.add(marginPercent.movePointLeft(2));
        return Money.of(basePerTonne.multiply(factor).setScale(4, RoundingMode.HALF_EVEN), currency);
    }

    public Money fee() {
        return Money.of(feePerInvoice, currency).rounded();
    }

    public boolean monthly() {
        return periodDays == null;
    }

    /** The period [start, end) that starts at {@code start}; refuses a start that is not a period boundary. */
    public Period periodStartingAt(LocalDate start) {
        if (monthly()) {
            if (start.getDayOfMonth() != 1) {
                throw new IllegalArgumentException("monthly periods start on the first of a month");
            }
            return new Period(start, YearMonth.from(start).plusMonths(1).atDay(1));
        }
        long offset = ChronoUnit.DAYS.between(periodAnchor, start);
        if (offset < 0 || offset % periodDays != 0) {
            throw new IllegalArgumentException("periods of " + periodDays + " days start on " + periodAnchor
                    + " and every " + periodDays + " days after");
        }
        return new Period(start, start.plusDays(periodDays));
    }

    public record Period(LocalDate start, LocalDate end) {
    }
}
