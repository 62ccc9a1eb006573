package org.carbonledger.receipts;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.carbonledger.receipts.pdf.ReceiptContent;

/** Sample receipts for tests. */
public final class ReceiptFixtures {

    public static final Instant ISSUED_AT = Instant.parse("2025-02-01T09:30:00Z");

    private ReceiptFixtures() {
    }

    public static ReceiptContent receipt() {
        return receipt(3, true);
    }

    public static ReceiptContent receipt(int lineCount, boolean withOffsets) {
        List<ReceiptContent.Line> lines = new ArrayList<>();
        for (int i = 0; i < lineCount; i++) {
            lines.add(new ReceiptContent.Line("workload-" + i, i % 2 == 0 ? "llama-3.1-70b" : "mistral-7b-instruct",
                    1000L + i, new BigDecimal("0.0123456789"), new BigDecimal("4.56789"), new BigDecimal("0.0042"),
                    "EUR"));
        }
        List<ReceiptContent.Offset> offsets = withOffsets
                ? List.of(new ReceiptContent.Offset("Verra", "VCS-1234", "Wind farm Gujarat", 2021,
                        "1234-56789-0-VCS-VCU-1-1-001-2021-0001-0003", "RET-42", 3L, new BigDecimal("13703.670"),
                        "RETIRED"))
                : List.of();
        return new ReceiptContent("CR-2025-000042", "Acme Inference GmbH – Zürich",
                UUID.fromString("6f1c1a52-3c55-4c3e-9a7e-0d1f2a3b4c5d"), "INV-2025-0017",
                LocalDate.of(2025, 1, 1), LocalDate.of(2025, 2, 1), ISSUED_AT,
                new BigDecimal("12.345678"), new BigDecimal("4567.891"), new BigDecimal("3210.5"),
                new BigDecimal("3900"), new BigDecimal("5300.25"), "cl-method-1.2", "ember-2024.2",
                lines, offsets, new BigDecimal("123.45"), "EUR", new BigDecimal("25.00"));
    }

    public static byte[] manifest() {
        return "{\"receiptNumber\":\"CR-2025-000042\",\"co2eGrams\":\"4567.891\"}".getBytes(StandardCharsets.UTF_8);
    }

    /** The same content, committed to a log checkpoint and with a verification URL (printed as a QR code). */
    public static ReceiptContent withLogAndQr(ReceiptContent c, String url) {
        return new ReceiptContent(c.receiptNumber(), c.tenantName(), c.tenantId(), c.invoiceNumber(), c.periodStart(),
                c.periodEnd(), c.issuedAt(), c.energyKwh(), c.co2eGramsLocationBased(), c.co2eGramsMarketBased(),
                c.co2eGramsLow(), c.co2eGramsHigh(), c.methodologyVersion(), c.factorDatasetVersion(), c.lines(),
                c.offsets(), c.totalAmount(), c.currency(), c.pricePerTonne(),
                new ReceiptContent.LogCommitment(1234, "ab".repeat(32), ISSUED_AT), url);
    }
}
