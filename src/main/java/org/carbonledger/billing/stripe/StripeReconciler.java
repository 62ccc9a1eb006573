package org.carbonledger.billing.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import java.util.ArrayList;
import java.util.List;
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
 * found this way retires, allocates and issues the receipt like any other. Refunds and disputes arrive by webhook
 * only (their events are retried until applied).
 */
@Component
public class StripeReconciler {

    private static final Logger log = LoggerFactory.getLogger(StripeReconciler.class);

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

    StripeReconciler(ObjectProvider<StripeClient> client, StripeInvoicing invoicing, StripeEventHandler handler,
            InvoiceLifecycle lifecycle, JdbcClient jdbc, PlatformTransactionManager transactions) {
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
        if (!changes.isEmpty() || !errors.isEmpty()) {
            log.info("reconciliation: {} invoices checked, {} changed, {} errors", candidates.size(), changes.size(),
                    errors.size());
        }
        return new ReconciliationReport(true, candidates.size(), changes, errors);
    }
}
