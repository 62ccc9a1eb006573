package org.carbonledger.receipts;

import java.time.Instant;
import java.util.UUID;

/**
 * A signed receipt of a paid invoice; the PDF is served separately. {@code revokedAt} is set when the payment was
 * reversed (refund, lost dispute) and the offsets allocated under the receipt were released: the signed PDF stays
 * valid as a document, but no longer stands for a claim.
 */
public record Receipt(UUID id, UUID tenantId, UUID invoiceId, String number, String pdfSha256, Instant issuedAt,
        Instant revokedAt, String revocationReason) {
}
