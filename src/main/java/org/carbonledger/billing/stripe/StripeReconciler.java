package org.carbonledger.billing.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Charge;
import com.stripe.model.Dispute;
import com.stripe.param.ChargeListParams;
import com.stripe.param.DisputeListParams;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.InvoiceLifecycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Compares every invoice not yet settled with Stripe and repairs what a lost webhook or an interrupted push left
 * behind: OPEN invoices never pushed are pushed (idempotently); invoices whose Stripe status moved on (paid, void,
 * uncollectible, finalized) are moved the same way, through the same guarded transitions as webhooks — a payment
 * found this way retires, allocates and issues the receipt like any other. Invoices paid through Stripe in the last
 * {@link #REVERSAL_WINDOW} (PAID or DISPUTED) are checked for what a lost {@code charge.refunded} or
 * {@code charge.dispute.*} webhook would have done: the charges and disputes of their PaymentIntent are read from
 * Stripe and applied with the webhook's own code ({@link StripeEventHandler#refunded},
 * {@link StripeEventHandler#disputeOpened}, {@link StripeEventHandler#disputeClosed}) — a full refund or a lost
 * dispute reverses the payment (compensating allocations, receipt revoked), an open dispute marks the invoice
 * DISPUTED, a won one returns it to PAID. Every move goes through the guarded state machine, so a second run, or a
 * webhook arriving late, changes nothing again.
 */
@Component
public class StripeReconciler {

    private static final Logger log = LoggerFactory.getLogger(StripeReconciler.class);

    /** How long after its payment an invoice is checked for refunds and disputes (card networks allow ~120 days). */
    static final Duration REVERSAL_WINDOW = Duration.ofDays(180);

    /** Dispute statuses of a dispute (or inquiry) still open: the webhook's charge.dispute.created. */
    private static final Set<String> OPEN_DISPUTE = Set.of("warning_needs_response", "warning_under_review",
            "needs_response", "under_review");

    /** One repair: the invoice, its status before and after, and why. */
    public record ReconciliationChange(UUID invoiceId, String invoiceNumber, Invoice.Status from, Invoice.Status to,
            String reason) {
    }

    /** What a run looked at and changed; {@code errors} name invoices that could not be checked this time. */
    public record ReconciliationReport(boolean stripeConfigured, int invoicesChecked,
            List<ReconciliationChange> changes, List<String> errors) {
    }

    private final ObjectProvider<StripeClient> client;
    private final StripeInvoicing invoicing;
    private final StripeEventHandler handler;
    private final InvoiceLifecycle lifecycle;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;

    StripeReconciler(ObjectProvider<StripeClient> client, StripeInvoicing invoicing, StripeEventHandler handler,
            InvoiceLifecycle lifecycle, JdbcClient jdbc, PlatformTransactionManager transactions, Clock clock) {
        this.clock = clock;
        this.client = client;
        this.invoicing = invoicing;
        this.handler = handler;
        this.lifecycle = lifecycle;
        this.jdbc = jdbc;
        this.tx = StripeInvoicing.newTransaction(transactions);
    }

    private record Candidate(UUID id, UUID tenantId, String number, Invoice.Status status, String stripeId) {
    }

    public ReconciliationReport reconcile() {
        StripeClient stripe = client.getIfAvailable();
        if (stripe == null) {
            return new ReconciliationReport(false, 0, List.of(), List.of());
        }
        List<Candidate> candidates = jdbc.sql("""
                select id, tenant_id, number, status, stripe_invoice_id from invoices
                 where status in ('OPEN', 'FINALIZED', 'PAYMENT_FAILED', 'UNCOLLECTIBLE')
                 order by created_at, id""")
                .query((rs, n) -> new Candidate(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                        rs.getString(3), Invoice.Status.valueOf(rs.getString(4)), rs.getString(5)))
                .list();
        List<ReconciliationChange> changes = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Candidate c : candidates) {
            try {
                if (c.stripeId() == null || c.status() == Invoice.Status.OPEN) {
                    invoicing.push(c.tenantId(), c.id());
                }
                var remote = stripe.v1().invoices().retrieve(jdbc.sql(
                        "select stripe_invoice_id from invoices where id = ?").param(c.id()).query(String.class)
                        .single());
                Invoice.Status target = StripeEventHandler.fromStripe(remote.getStatus());
                ReconciliationChange change = tx.execute(s -> {
                    Invoice invoice = lifecycle.lock(c.tenantId(), c.id());
                    if (target == null || target == invoice.status() || !invoice.status().canMoveTo(target)) {
                        return invoice.status() == c.status() ? null : new ReconciliationChange(c.id(), c.number(),
                                c.status(), invoice.status(), "pushed to Stripe " + remote.getId());
                    }
                    try {
                        handler.apply(invoice, target, remote.getId(), "reconcile: Stripe says " + remote.getStatus());
                    } catch (StripeException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                    return new ReconciliationChange(c.id(), c.number(), c.status(), target,
                            "Stripe invoice " + remote.getId() + " is " + remote.getStatus());
                });
                if (change != null) {
                    changes.add(change);
                }
            } catch (StripeException | RuntimeException e) {
                errors.add(c.number() + ": " + e.getMessage());
            }
        }
        int paidChecked = reversals(stripe, changes, errors);
        if (!changes.isEmpty() || !errors.isEmpty()) {
            log.info("reconciliation: {} invoices checked, {} changed, {} errors", candidates.size() + paidChecked,
                    changes.size(), errors.size());
        }
        return new ReconciliationReport(true, candidates.size() + paidChecked, changes, errors);
    }

    private record Paid(UUID id, UUID tenantId, String number, String paymentIntent) {
    }

    /** Refunds and disputes of recently paid Stripe invoices whose webhooks were missed. Returns invoices checked. */
    private int reversals(StripeClient stripe, List<ReconciliationChange> changes, List<String> errors) {
        List<Paid> paid = jdbc.sql("""
                select i.id, i.tenant_id, i.number, p.stripe_payment_intent_id
                  from invoices i join payments p on p.invoice_id = i.id
                 where i.status in ('PAID', 'DISPUTED') and p.stripe_payment_intent_id is not null
                   and i.paid_at >= ?
                 order by i.paid_at, i.id""")
                .param(Timestamp.from(clock.instant().minus(REVERSAL_WINDOW)))
                .query((rs, n) -> new Paid(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                        rs.getString(3), rs.getString(4)))
                .list();
        for (Paid p : paid) {
            try {
                List<Charge> charges = stripe.v1().charges().list(ChargeListParams.builder()
                        .setPaymentIntent(p.paymentIntent()).build()).getData();
                List<Dispute> disputes = stripe.v1().disputes().list(DisputeListParams.builder()
                        .setPaymentIntent(p.paymentIntent()).build()).getData();
                ReconciliationChange change = tx.execute(s -> repair(p, charges, disputes));
                if (change != null) {
                    changes.add(change);
                }
            } catch (StripeException | RuntimeException e) {
                errors.add(p.number() + ": " + e.getMessage());
            }
        }
        return paid.size();
    }

    private ReconciliationChange repair(Paid p, List<Charge> charges, List<Dispute> disputes) {
        Invoice invoice = lifecycle.lock(p.tenantId(), p.id());
        Invoice.Status before = invoice.status();
        List<String> reasons = new ArrayList<>();
        for (Charge charge : charges) {
            String reason = "Stripe charge " + charge.getId() + " is refunded";
            if (handler.refunded(invoice, charge, "reconcile: " + reason)) {
                reasons.add(reason);
                invoice = lifecycle.lock(p.tenantId(), p.id());
            }
        }
        for (Dispute dispute : disputes) {
            String reason = "Stripe dispute " + dispute.getId() + " is " + dispute.getStatus();
            boolean open = OPEN_DISPUTE.contains(dispute.getStatus());
            // a lost dispute whose opening was missed too passes through DISPUTED, as its two webhooks would
            if ((open || "lost".equals(dispute.getStatus()))
                    && handler.disputeOpened(invoice, "reconcile: " + reason)) {
                invoice = lifecycle.lock(p.tenantId(), p.id());
                if (open) {
                    reasons.add(reason);
                }
            }
            if (!open && handler.disputeClosed(invoice, dispute, "reconcile: " + reason)) {
                reasons.add(reason);
                invoice = lifecycle.lock(p.tenantId(), p.id());
            }
        }
        return invoice.status() == before ? null
                : new ReconciliationChange(p.id(), p.number(), before, invoice.status(), String.join("; ", reasons));
    }
}
