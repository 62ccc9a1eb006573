package org.carbonledger.billing;

import java.util.UUID;

/** Published when a billing period was closed into a new invoice (status OPEN). */
public record InvoiceClosed(UUID tenantId, UUID invoiceId) {
}
