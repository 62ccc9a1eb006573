package org.carbonledger.receipts.internal;

import org.carbonledger.billing.InvoiceClosed;
import org.carbonledger.emissions.EmissionsRecorded;
import org.carbonledger.offsets.OffsetsAllocated;
import org.carbonledger.offsets.OffsetsReversed;
import org.carbonledger.receipts.TransparencyLog;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Appends new emission records (every version) and allocations (reversals included) to the transparency log in the transaction that wrote them; runs
 * before the receipt is issued so the receipt's checkpoint covers the allocations it lists. Closing a billing period
 * signs a checkpoint of the log as it stands when the invoice is made.
 */
@Component
class LogAppender {

    static final int ORDER = 0;

    private final TransparencyLog log;

    LogAppender(TransparencyLog log) {
        this.log = log;
    }

    @EventListener
    @Order(ORDER)
    void on(EmissionsRecorded recorded) {
        log.appendEmissionRecords(recorded.recordIds());
    }

    @EventListener
    @Order(ORDER)
    void on(OffsetsAllocated allocated) {
        log.appendNewAllocations(allocated.tenantId());
    }

    /** The compensating (negative) allocations of a refund or lost dispute are logged like any other. */
    @EventListener
    @Order(ORDER)
    void on(OffsetsReversed reversed) {
        log.appendNewAllocations(reversed.tenantId());
    }

    @EventListener
    @Order(ORDER)
    void on(InvoiceClosed closed) {
        log.checkpoint();
    }
}
