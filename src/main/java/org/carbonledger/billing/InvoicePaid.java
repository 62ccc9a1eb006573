package org.carbonledger.billing;

import java.util.UUID;

/** Published in the payment transaction: the emissions billed on the invoice are now to be covered by offsets. */
public record InvoicePaid(UUID tenantId, UUID invoiceId, String invoiceNumber) {
}
