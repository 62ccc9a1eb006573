package org.carbonledger.receipts.pdf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import org.carbonledger.receipts.ReceiptFixtures;
import org.junit.jupiter.api.Test;

class ReceiptContentTest {

    @Test
    void periodEndIsExclusive() {
        assertThat(ReceiptFixtures.receipt().periodLastDayInclusive()).isEqualTo(LocalDate.of(2025, 1, 31));
    }

    @Test
    void rejectsMissingAndNegativeValues() {
        ReceiptContent c = ReceiptFixtures.receipt();
        assertThatThrownBy(() -> new ReceiptContent(c.receiptNumber(), c.tenantName(), c.tenantId(),
                c.invoiceNumber(), c.periodStart(), c.periodEnd(), c.issuedAt(), new BigDecimal("-0.1"),
                c.co2eGramsLocationBased(), c.co2eGramsMarketBased(), c.co2eGramsLow(), c.co2eGramsHigh(),
                c.methodologyVersion(), c.factorDatasetVersion(), c.lines(), c.offsets(), c.totalAmount(),
                c.currency(), c.pricePerTonne()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("energyKwh must not be negative, got -0.1");
        assertThatThrownBy(() -> new ReceiptContent(null, c.tenantName(), c.tenantId(),
                c.invoiceNumber(), c.periodStart(), c.periodEnd(), c.issuedAt(), c.energyKwh(),
                c.co2eGramsLocationBased(), c.co2eGramsMarketBased(), c.co2eGramsLow(), c.co2eGramsHigh(),
                c.methodologyVersion(), c.factorDatasetVersion(), c.lines(), c.offsets(), c.totalAmount(),
                c.currency(), c.pricePerTonne()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("receiptNumber is required");
        assertThatThrownBy(() -> new ReceiptContent(c.receiptNumber(), c.tenantName(), c.tenantId(),
                c.invoiceNumber(), c.periodStart(), c.periodStart(), c.issuedAt(), c.energyKwh(),
                c.co2eGramsLocationBased(), c.co2eGramsMarketBased(), c.co2eGramsLow(), c.co2eGramsHigh(),
                c.methodologyVersion(), c.factorDatasetVersion(), c.lines(), c.offsets(), c.totalAmount(),
                c.currency(), c.pricePerTonne()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("periodEnd");
        assertThatThrownBy(() -> new ReceiptContent(c.receiptNumber(), c.tenantName(), c.tenantId(),
                c.invoiceNumber(), c.periodStart(), c.periodEnd(), c.issuedAt(), c.energyKwh(),
                c.co2eGramsLocationBased(), c.co2eGramsMarketBased(), c.co2eGramsLow(), c.co2eGramsHigh(),
                c.methodologyVersion(), c.factorDatasetVersion(), null, c.offsets(), c.totalAmount(),
                c.currency(), c.pricePerTonne()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lines is required");
        assertThatThrownBy(() -> new ReceiptContent.Line("w", "m", -1, BigDecimal.ONE, BigDecimal.ONE,
                BigDecimal.ONE, "EUR"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line.requestCount must not be negative, got -1");
        assertThatThrownBy(() -> new ReceiptContent.Offset("Verra", "p", "n", 2021, "", "", 1,
                new BigDecimal("-1"), "RETIRED"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("offset.gramsAllocated must not be negative, got -1");
    }

    @Test
    void listsAreCopied() {
        List<ReceiptContent.Line> lines = new ArrayList<>(ReceiptFixtures.receipt().lines());
        ReceiptContent c = ReceiptFixtures.receipt();
        ReceiptContent copy = new ReceiptContent(c.receiptNumber(), c.tenantName(), c.tenantId(),
                c.invoiceNumber(), c.periodStart(), c.periodEnd(), c.issuedAt(), c.energyKwh(),
                c.co2eGramsLocationBased(), c.co2eGramsMarketBased(), c.co2eGramsLow(), c.co2eGramsHigh(),
                c.methodologyVersion(), c.factorDatasetVersion(), lines, c.offsets(), c.totalAmount(),
                c.currency(), c.pricePerTonne());
        lines.clear();
        assertThat(copy.lines()).hasSize(3);
    }
}
