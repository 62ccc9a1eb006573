package org.carbonledger.billing;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The only place an invoice's status changes. Each move is checked against {@link Invoice.Status#canMoveTo} on the
 * row locked for update and recorded in {@code invoice_transitions}, whose unique key (invoice, from, to) makes a
 * transition that already happened impossible to repeat — whatever the webhook, reconciler or API call asking.
 */
@Service
public class InvoiceLifecycle {

    private static final Logger log = LoggerFactory.getLogger(InvoiceLifecycle.class);

    private final JdbcClient jdbc;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    InvoiceLifecycle(JdbcClient jdbc, ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.events = events;
        this.clock = clock;
    }

    /** The invoice without its lines, locked for update until the transaction ends. */
    @Transactional(propagation = Propagation.MANDATORY)
    public Invoice lock(UUID tenantId, UUID invoiceId) {
        return jdbc.sql("select * from invoices where id = ? and tenant_id = ? for update")
                .params(invoiceId, tenantId).query((rs, n) -> Invoices.map(rs, List.of())).optional()
                .orElseThrow(() -> ApiProblem.notFound("invoice", invoiceId));
    }

    @Transactional(propagation = Propagation.MANDATORY)
    public Optional<Invoice> lockByStripeId(String stripeInvoiceId) {
        return jdbc.sql("select * from invoices where stripe_invoice_id = ? for update").param(stripeInvoiceId)
                .query((rs, n) -> Invoices.map(rs, List.of())).optional();
    }

    /**
     * Moves the invoice to {@code next}; returns false (and changes nothing) when it is already there or the move is
     * not allowed from where it is — an event that arrives after the invoice moved on is stale, not an error.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean moveTo(Invoice invoice, Invoice.Status next, String cause) {
        if (!invoice.status().canMoveTo(next)) {
            if (invoice.status() != next) {
                log.info("invoice {}: {} -> {} refused ({})", invoice.number(), invoice.status(), next, cause);
            }
            return false;
        }
        Instant now = clock.instant();
        jdbc.sql("""
                insert into invoice_transitions (id, invoice_id, from_status, to_status, cause, at)
                values (?, ?, ?, ?, ?, ?)""")
                .params(UUID.randomUUID(), invoice.id(), invoice.status().name(), next.name(), cause,
                        Timestamp.from(now))
                .update();
        jdbc.sql("update invoices set status = ?, updated_at = ?, paid_at = coalesce(paid_at, ?) where id = ?")
                .params(next.name(), Timestamp.from(now),
                        next == Invoice.Status.PAID ? Timestamp.from(now) : null, invoice.id())
                .update();
        log.info("invoice {}: {} -> {} ({})", invoice.number(), invoice.status(), next, cause);
        return true;
    }

    /**
     * Records the payment of the full amount and moves the invoice to PAID, publishing {@link InvoicePaid} (offsets
     * are retired and allocated, the receipt issued, in this transaction). A won dispute returns a DISPUTED invoice
     * to PAID without a second payment.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean recordPayment(Invoice invoice, String provider, String reference, String paymentIntentId,
            String cause) {
        boolean firstPayment = invoice.status() != Invoice.Status.DISPUTED;
        if (!moveTo(invoice, Invoice.Status.PAID, cause)) {
            return false;
        }
        if (firstPayment) {
            jdbc.sql("""
                    insert into payments (id, invoice_id, tenant_id, provider, provider_reference, amount, currency,
                                          received_at, stripe_payment_intent_id)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(UUID.randomUUID(), invoice.id(), invoice.tenantId(), provider, reference,
                            invoice.totalAmount(), invoice.currency(), Timestamp.from(clock.instant()),
                            paymentIntentId)
                    .update();
            events.publishEvent(new InvoicePaid(invoice.tenantId(), invoice.id(), invoice.number()));
        }
        return true;
    }

    /** Refund or lost dispute: moves to REFUNDED / CHARGED_BACK, records the reversal, publishes the reversal. */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean reversePayment(Invoice invoice, InvoicePaymentReversed.Kind kind, String reference, String cause) {
        Invoice.Status next = kind == InvoicePaymentReversed.Kind.REFUND ? Invoice.Status.REFUNDED
                : Invoice.Status.CHARGED_BACK;
        if (!moveTo(invoice, next, cause)) {
            return false;
        }
        jdbc.sql("""
                insert into payment_reversals (id, payment_id, tenant_id, kind, provider_reference, amount, reversed_at)
                select ?, p.id, p.tenant_id, ?, ?, p.amount, ? from payments p where p.invoice_id = ?""")
                .params(UUID.randomUUID(), kind.name(), reference, Timestamp.from(clock.instant()), invoice.id())
                .update();
        events.publishEvent(new InvoicePaymentReversed(invoice.tenantId(), invoice.id(), invoice.number(), kind));
        return true;
    }

    /** The tenant and invoice paid with a Stripe PaymentIntent, if we recorded that payment. */
    public Optional<Invoice> findByPaymentIntent(String paymentIntentId) {
        return jdbc.sql("""
                select i.* from invoices i join payments p on p.invoice_id = i.id
                 where p.stripe_payment_intent_id = ?""").param(paymentIntentId)
                .query((rs, n) -> Invoices.map(rs, List.of())).optional();
    }
}
