package org.carbonledger.billing.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.EventDataObjectDeserializationException;
import com.stripe.exception.StripeException;
import com.stripe.model.Charge;
import com.stripe.model.Dispute;
import com.stripe.model.Event;
import com.stripe.model.EventDataObjectDeserializer;
import com.stripe.model.InvoicePayment;
import com.stripe.model.StripeObject;
import com.stripe.param.InvoicePaymentListParams;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.billing.ClimateOrderEventReceived;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.InvoiceLifecycle;
import org.carbonledger.billing.InvoicePaymentReversed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Applies one verified Stripe event, inside the inbox's transaction. Order of delivery does not matter: the invoice
 * state machine refuses moves backwards, an event older than the newest one applied to its invoice is answered by
 * fetching the invoice's current state from Stripe, and an event about a payment we have not recorded yet (a refund
 * before its {@code invoice.paid}) fails so that the inbox retries it later.
 */
@Component
class StripeEventHandler {

    private static final Logger log = LoggerFactory.getLogger(StripeEventHandler.class);

    enum Outcome {
        PROCESSED, IGNORED
    }

    /** The event depends on state we do not have yet; retried with backoff. */
    static class NotYetApplicable extends RuntimeException {
        NotYetApplicable(String message) {
            super(message);
        }
    }

    private final InvoiceLifecycle lifecycle;
    private final ObjectProvider<StripeClient> client;
    private final JdbcClient jdbc;
    private final ApplicationEventPublisher events;

    StripeEventHandler(InvoiceLifecycle lifecycle, ObjectProvider<StripeClient> client, JdbcClient jdbc,
            ApplicationEventPublisher events) {
        this.lifecycle = lifecycle;
        this.client = client;
        this.jdbc = jdbc;
        this.events = events;
    }

    Outcome handle(Event event) throws StripeException {
        String type = event.getType();
        String cause = "stripe " + type + " " + event.getId();
        return switch (type) {
            case "invoice.finalized" -> onInvoice(event, Invoice.Status.FINALIZED, cause);
            case "invoice.paid" -> onInvoice(event, Invoice.Status.PAID, cause);
            case "invoice.payment_failed" -> onInvoice(event, Invoice.Status.PAYMENT_FAILED, cause);
            case "invoice.voided" -> onInvoice(event, Invoice.Status.VOID, cause);
            case "invoice.marked_uncollectible" -> onInvoice(event, Invoice.Status.UNCOLLECTIBLE, cause);
            case "charge.refunded" -> onRefund((Charge) object(event), cause);
            case "charge.dispute.created", "charge.dispute.closed" -> onDispute((Dispute) object(event), type, cause);
            default -> {
                if (type.startsWith("climate.order.")) {
                    var order = (com.stripe.model.climate.Order) object(event);
                    events.publishEvent(new ClimateOrderEventReceived(event.getId(), type,
                            Instant.ofEpochSecond(event.getCreated()), order));
                    yield Outcome.PROCESSED;
                }
                yield Outcome.IGNORED;
            }
        };
    }

    static StripeObject object(Event event) {
        EventDataObjectDeserializer data = event.getDataObjectDeserializer();
        Optional<StripeObject> object = data.getObject();
        if (object.isPresent()) {
            return object.get();
        }
        try {
            // an event of another API version than the library's: its shape is close enough for the fields we read
            return data.deserializeUnsafe();
        } catch (EventDataObjectDeserializationException e) {
            throw new IllegalArgumentException("event " + event.getId() + " carries no readable object", e);
        }
    }

    private Outcome onInvoice(Event event, Invoice.Status target, String cause) throws StripeException {
        var remote = (com.stripe.model.Invoice) object(event);
        Optional<Invoice> found = lifecycle.lockByStripeId(remote.getId());
        if (found.isEmpty() && remote.getMetadata() != null
                && remote.getMetadata().get("carbonledger_invoice_id") != null) {
            // the push stored its Stripe id after this event was sent: link by our id in the metadata
            UUID ours = UUID.fromString(remote.getMetadata().get("carbonledger_invoice_id"));
            jdbc.sql("update invoices set stripe_invoice_id = ? where id = ? and stripe_invoice_id is null")
                    .params(remote.getId(), ours).update();
            found = lifecycle.lockByStripeId(remote.getId());
        }
        if (found.isEmpty()) {
            log.info("{}: not one of our invoices ({}), ignored", cause, remote.getId());
            return Outcome.IGNORED;
        }
        Invoice invoice = found.get();
        Instant created = Instant.ofEpochSecond(event.getCreated());
        Instant newest = jdbc.sql("select stripe_event_created_at from invoices where id = ?").param(invoice.id())
                .query(Timestamp.class).optional().map(Timestamp::toInstant).orElse(null);
        if (newest != null && created.isBefore(newest) && client.getIfAvailable() != null) {
            remote = client.getObject().v1().invoices().retrieve(remote.getId());
            Invoice.Status current = fromStripe(remote.getStatus());
            log.info("{} is older than the newest event applied to {}: Stripe says {} now", cause, invoice.number(),
                    remote.getStatus());
            if (current == null) {
                return Outcome.PROCESSED;
            }
            target = current;
        }
        jdbc.sql("""
                update invoices set stripe_event_created_at = greatest(coalesce(stripe_event_created_at, ?), ?)
                 where id = ?""").params(Timestamp.from(created), Timestamp.from(created), invoice.id()).update();
        apply(invoice, target, remote.getId(), cause);
        return Outcome.PROCESSED;
    }

    /** Moves the invoice to {@code target}; a payment is recorded with its PaymentIntent. */
    boolean apply(Invoice invoice, Invoice.Status target, String stripeInvoiceId, String cause)
            throws StripeException {
        if (target == Invoice.Status.PAID) {
            return lifecycle.recordPayment(invoice, "STRIPE", stripeInvoiceId, paymentIntentOf(stripeInvoiceId),
                    cause);
        }
        return lifecycle.moveTo(invoice, target, cause);
    }

    private String paymentIntentOf(String stripeInvoiceId) throws StripeException {
        StripeClient stripe = client.getIfAvailable();
        if (stripe == null) {
            return null;
        }
        for (InvoicePayment payment : stripe.v1().invoicePayments().list(InvoicePaymentListParams.builder()
                .setInvoice(stripeInvoiceId).build()).getData()) {
            if ("paid".equals(payment.getStatus()) && payment.getPayment() != null) {
                return payment.getPayment().getPaymentIntent();
            }
        }
        return null;
    }

    /** Stripe's invoice status as ours; null for a draft (nothing to change). */
    static Invoice.Status fromStripe(String status) {
        return switch (status == null ? "" : status) {
            case "open" -> Invoice.Status.FINALIZED;
            case "paid" -> Invoice.Status.PAID;
            case "void" -> Invoice.Status.VOID;
            case "uncollectible" -> Invoice.Status.UNCOLLECTIBLE;
            default -> null;
        };
    }

    private Outcome onRefund(Charge charge, String cause) {
        if (!Boolean.TRUE.equals(charge.getRefunded())) {
            log.info("{}: partial refund of {} ({} refunded) leaves the invoice paid", cause, charge.getId(),
                    charge.getAmountRefunded());
            return Outcome.IGNORED;
        }
        refunded(paidWith(charge.getPaymentIntent(), cause), charge, cause);
        return Outcome.PROCESSED;
    }

    /**
     * A fully refunded charge reverses the invoice's payment (REFUNDED, compensating allocations, receipt revoked);
     * a partial refund leaves it paid. Used by the webhook and by the reconciler; true if the invoice changed.
     */
    boolean refunded(Invoice invoice, Charge charge, String cause) {
        if (!Boolean.TRUE.equals(charge.getRefunded())) {
            return false;
        }
        return lifecycle.reversePayment(invoice, InvoicePaymentReversed.Kind.REFUND, charge.getId(), cause);
    }

    private Outcome onDispute(Dispute dispute, String type, String cause) {
        Invoice invoice = paidWith(dispute.getPaymentIntent(), cause);
        if (type.equals("charge.dispute.created")) {
            disputeOpened(invoice, cause);
        } else if ("won".equals(dispute.getStatus()) || "lost".equals(dispute.getStatus())) {
            disputeClosed(invoice, dispute, cause);
        } else {
            return Outcome.IGNORED;
        }
        return Outcome.PROCESSED;
    }

    /** A dispute was opened: PAID → DISPUTED. True if the invoice changed. */
    boolean disputeOpened(Invoice invoice, String cause) {
        return lifecycle.moveTo(invoice, Invoice.Status.DISPUTED, cause);
    }

    /**
     * A dispute was closed: won returns a DISPUTED invoice to PAID (no second payment), lost reverses the payment
     * (CHARGED_BACK, compensating allocations, receipt revoked). True if the invoice changed.
     */
    boolean disputeClosed(Invoice invoice, Dispute dispute, String cause) {
        if ("won".equals(dispute.getStatus())) {
            return lifecycle.recordPayment(invoice, "STRIPE", invoice.stripeInvoiceId(), null, cause);
        }
        if ("lost".equals(dispute.getStatus())) {
            return lifecycle.reversePayment(invoice, InvoicePaymentReversed.Kind.CHARGEBACK, dispute.getId(), cause);
        }
        return false;
    }

    private Invoice paidWith(String paymentIntent, String cause) {
        if (paymentIntent == null) {
            throw new IllegalArgumentException(cause + " names no payment intent");
        }
        Invoice invoice = lifecycle.findByPaymentIntent(paymentIntent).orElseThrow(() -> new NotYetApplicable(
                "no payment recorded for payment intent " + paymentIntent + " yet"));
        return lifecycle.lock(invoice.tenantId(), invoice.id());
    }
}
