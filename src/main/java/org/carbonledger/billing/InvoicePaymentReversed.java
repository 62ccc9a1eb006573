package org.carbonledger.billing;

import java.util.UUID;

/**
 * Published in the transaction that moves a paid invoice to REFUNDED or CHARGED_BACK: the emissions billed on it are
 * no longer paid for, so what was allocated to them is to be reversed.
 */
public record InvoicePaymentReversed(UUID tenantId, UUID invoiceId, String invoiceNumber, Kind kind) {

    public enum Kind {
        REFUND, CHARGEBACK
    }
}
