package org.carbonledger.receipts;

import java.time.Instant;
import java.util.UUID;

/** A signed receipt of a paid invoice; the PDF is served separately. */
public record Receipt(UUID id, UUID tenantId, UUID invoiceId, String number, String pdfSha256, Instant issuedAt) {
}
