package org.carbonledger.billing;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An invoice for one billing period of a tenant; {@code periodEnd} is exclusive. {@code uncertainty} states which
 * estimate of each request's emissions was billed (central, or the upper bound of its range).
 */
public record Invoice(UUID id, UUID tenantId, String number, LocalDate periodStart, LocalDate periodEnd, Status status,
        String currency, BigDecimal totalAmount, BigDecimal co2eGrams, BillingPolicy.PricingMode pricingMode,
        BillingPolicy.Uncertainty uncertainty, String stripeInvoiceId, Instant createdAt, Instant paidAt,
        List<Line> lines) {

    /**
     * The invoice lifecycle. OPEN is closed locally (a draft in Stripe terms); offline mode pays OPEN invoices
     * directly. Every move goes through {@link #canMoveTo}; a move not listed is refused, so no transition happens
     * twice and no event can push an invoice backwards.
     */
    public enum Status {
        OPEN, FINALIZED, PAYMENT_FAILED, PAID, DISPUTED, VOID, UNCOLLECTIBLE, REFUNDED, CHARGED_BACK;

        private static final Map<Status, Set<Status>> NEXT = Map.of(
                OPEN, EnumSet.of(FINALIZED, PAID, VOID),
                FINALIZED, EnumSet.of(PAID, PAYMENT_FAILED, VOID, UNCOLLECTIBLE),
                PAYMENT_FAILED, EnumSet.of(PAID, VOID, UNCOLLECTIBLE),
                UNCOLLECTIBLE, EnumSet.of(PAID, VOID),
                PAID, EnumSet.of(REFUNDED, DISPUTED),
                DISPUTED, EnumSet.of(PAID, CHARGED_BACK),
                VOID, EnumSet.noneOf(Status.class),
                REFUNDED, EnumSet.noneOf(Status.class),
                CHARGED_BACK, EnumSet.noneOf(Status.class));

        public boolean canMoveTo(Status next) {
            return NEXT.get(this).contains(next);
        }

        /** The guarded move: returns {@code next} or refuses. */
        public Status moveTo(Status next) {
            if (!canMoveTo(next)) {
                throw new IllegalStateException("an invoice in status " + this + " cannot become " + next);
            }
            return next;
        }

        public Status pay() {
            return moveTo(PAID);
        }

        public boolean isTerminal() {
            return NEXT.get(this).isEmpty();
        }
    }

    public enum LineKind {
        /** Emissions of one workload and model in the period. */
        USAGE,
        /** The fixed fee per invoice of the pricing policy. */
        FEE,
        /** Emission records restated upwards after they were billed: the difference. */
        ADJUSTMENT,
        /** Emission records restated downwards after they were billed: the difference, negative. */
        CREDIT_NOTE
    }

    /** A line: the emissions of one workload and model, priced per tonne; or the fee; or a restatement. */
    public record Line(UUID id, LineKind kind, UUID workloadId, String model, String description, long requestCount,
            BigDecimal energyJoules, BigDecimal co2eGrams, BigDecimal pricePerTonne, BigDecimal amount,
            String currency) {
    }
}
