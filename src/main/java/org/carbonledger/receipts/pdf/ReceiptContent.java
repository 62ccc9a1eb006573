package org.carbonledger.receipts.pdf;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * Everything printed on a carbon receipt. All fields are required; lists may be empty.
 *
 * @param periodStart first day of the billing period (inclusive)
 * @param periodEnd   end of the billing period (exclusive); printed as the last day inclusive
 */
public record ReceiptContent(
        String receiptNumber,
        String tenantName,
        UUID tenantId,
        String invoiceNumber,
        LocalDate periodStart,
        LocalDate periodEnd,
        Instant issuedAt,
        BigDecimal energyKwh,
        BigDecimal co2eGramsLocationBased,
        BigDecimal co2eGramsMarketBased,
        BigDecimal co2eGramsLow,
        BigDecimal co2eGramsHigh,
        String methodologyVersion,
        String factorDatasetVersion,
        List<Line> lines,
        List<Offset> offsets,
        BigDecimal totalAmount,
        String currency,
        BigDecimal pricePerTonne,
        LogCommitment logCheckpoint,
        String verificationUrl) {

    /** The transparency-log checkpoint the receipt commits to. */
    public record LogCommitment(long treeSize, String rootHashHex, Instant timestamp) {
    }

    /** A receipt not (yet) committed to a log checkpoint. */
    public ReceiptContent(String receiptNumber, String tenantName, UUID tenantId, String invoiceNumber,
            LocalDate periodStart, LocalDate periodEnd, Instant issuedAt, BigDecimal energyKwh,
            BigDecimal co2eGramsLocationBased, BigDecimal co2eGramsMarketBased, BigDecimal co2eGramsLow,
            BigDecimal co2eGramsHigh, String methodologyVersion, String factorDatasetVersion, List<Line> lines,
            List<Offset> offsets, BigDecimal totalAmount, String currency, BigDecimal pricePerTonne) {
        this(receiptNumber, tenantName, tenantId, invoiceNumber, periodStart, periodEnd, issuedAt, energyKwh,
                co2eGramsLocationBased, co2eGramsMarketBased, co2eGramsLow, co2eGramsHigh, methodologyVersion,
                factorDatasetVersion, lines, offsets, totalAmount, currency, pricePerTonne, null, null);
    }

    public ReceiptContent {
        requireText(receiptNumber, "receiptNumber");
        requireText(tenantName, "tenantName");
        require(tenantId, "tenantId");
        requireText(invoiceNumber, "invoiceNumber");
        require(periodStart, "periodStart");
        require(periodEnd, "periodEnd");
        if (!periodEnd.isAfter(periodStart)) {
            throw new IllegalArgumentException("periodEnd (exclusive) must be after periodStart, got "
                    + periodStart + " .. " + periodEnd);
        }
        require(issuedAt, "issuedAt");
        requireNonNegative(energyKwh, "energyKwh");
        requireNonNegative(co2eGramsLocationBased, "co2eGramsLocationBased");
        requireNonNegative(co2eGramsMarketBased, "co2eGramsMarketBased");
        requireNonNegative(co2eGramsLow, "co2eGramsLow");
        requireNonNegative(co2eGramsHigh, "co2eGramsHigh");
        if (co2eGramsLow.compareTo(co2eGramsHigh) > 0) {
            throw new IllegalArgumentException("co2eGramsLow must not exceed co2eGramsHigh, got "
                    + co2eGramsLow.toPlainString() + " > " + co2eGramsHigh.toPlainString());
        }
        requireText(methodologyVersion, "methodologyVersion");
        requireText(factorDatasetVersion, "factorDatasetVersion");
        require(lines, "lines");
        require(offsets, "offsets");
        lines = List.copyOf(lines);
        offsets = List.copyOf(offsets);
        require(totalAmount, "totalAmount");   // negative when credit notes exceed the rest
        requireText(currency, "currency");
        requireNonNegative(pricePerTonne, "pricePerTonne");
    }

    /** Period end as the last day included in the period. */
    public LocalDate periodLastDayInclusive() {
        return periodEnd.minusDays(1);
    }

    /** One metered workload/model line, the invoice fee, or a restatement (credit notes are negative). */
    public record Line(
            String workloadName,
            String model,
            long requestCount,
            BigDecimal energyKwh,
            BigDecimal co2eGrams,
            BigDecimal amount,
            String currency) {

        public Line {
            requireText(workloadName, "line.workloadName");
            requireText(model, "line.model");
            if (requestCount < 0) {
                throw new IllegalArgumentException("line.requestCount must not be negative, got " + requestCount);
            }
            requireNonNegative(energyKwh, "line.energyKwh");
            require(co2eGrams, "line.co2eGrams");
            require(amount, "line.amount");
            requireText(currency, "line.currency");
        }
    }

    /** One carbon-credit retirement allocated to this receipt. */
    public record Offset(
            String registry,
            String projectId,
            String projectName,
            int vintage,
            String serialRange,
            String registryRetirementId,
            long tonnesRetired,
            BigDecimal gramsAllocated,
            String status) {

        public Offset {
            requireText(registry, "offset.registry");
            requireText(projectId, "offset.projectId");
            requireText(projectName, "offset.projectName");
            if (vintage < 0) {
                throw new IllegalArgumentException("offset.vintage must not be negative, got " + vintage);
            }
            require(serialRange, "offset.serialRange");
            require(registryRetirementId, "offset.registryRetirementId");
            if (tonnesRetired < 0) {
                throw new IllegalArgumentException("offset.tonnesRetired must not be negative, got " + tonnesRetired);
            }
            requireNonNegative(gramsAllocated, "offset.gramsAllocated");
            requireText(status, "offset.status");
        }
    }

    private static void require(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    private static void requireText(String value, String name) {
        require(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }

    private static void requireNonNegative(BigDecimal value, String name) {
        require(value, name);
        if (value.signum() < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value.toPlainString());
        }
    }
}
