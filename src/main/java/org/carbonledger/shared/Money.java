package org.carbonledger.shared;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.Objects;

/**
 * An amount of money in a currency. Amounts on invoices are rounded once, to the currency's minor units, half-even
 * ({@link #rounded()}); intermediate results keep full precision.
 */
public record Money(BigDecimal amount, Currency currency) {

    public Money {
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(currency, "currency");
    }

    public static Money of(BigDecimal amount, String currencyCode) {
        return new Money(amount, Currency.getInstance(currencyCode));
    }

    public static Money zero(Currency currency) {
        return new Money(BigDecimal.ZERO, currency).rounded();
    }

    /** Price of a mass at a price per tonne, rounded to minor units half-even. */
    public static Money priceOf(Co2eMass mass, Money pricePerTonne) {
        return new Money(mass.tonnes().multiply(pricePerTonne.amount()), pricePerTonne.currency()).rounded();
    }

    public Money rounded() {
        return new Money(amount.setScale(currency.getDefaultFractionDigits(), RoundingMode.HALF_EVEN), currency);
    }

    public Money plus(Money other) {
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException("cannot add " + other.currency + " to " + currency);
        }
        return new Money(amount.add(other.amount), currency);
    }

    @Override
    public String toString() {
        return amount.toPlainString() + " " + currency.getCurrencyCode();
    }
}
