package org.carbonledger.billing;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/** An invoice for one billing period of a tenant; {@code periodEnd} is exclusive. */
public record Invoice(UUID id, UUID tenantId, String number, LocalDate periodStart, LocalDate periodEnd, Status status,
        String currency, BigDecimal totalAmount, BigDecimal co2eGrams, Instant createdAt, Instant paidAt,
        List<Line> lines) {

    public enum Status {
        OPEN, PAID;

        public Status pay() {
            if (this != OPEN) {
                throw new IllegalStateException("an invoice in status " + this + " cannot be paid");
            }
            return PAID;
        }
    }

    /** A carbon line: the emissions of one workload in the period, priced per tonne. */
    public record Line(UUID id, UUID workloadId, String description, long requestCount, BigDecimal energyJoules,
            BigDecimal co2eGrams, BigDecimal pricePerTonne, BigDecimal amount, String currency) {
    }
}
