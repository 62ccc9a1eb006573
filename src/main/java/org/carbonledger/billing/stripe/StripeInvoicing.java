package org.carbonledger.billing.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.InvoiceCreateParams;
import com.stripe.param.InvoiceItemCreateParams;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Currency;
import java.util.Locale;
import java.util.UUID;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.InvoiceClosed;
import org.carbonledger.billing.InvoiceLifecycle;
import org.carbonledger.billing.Invoices;
import org.carbonledger.workload.Tenants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Pushes a closed invoice to Stripe after its close committed: the tenant's customer (created once, mapped in
 * {@code stripe_customers}), a draft invoice, one invoice item per line, finalize, send. Every POST carries an
 * idempotency key derived from our ids, so a push interrupted at any step is simply repeated (by the reconciler)
 * without creating anything twice.
 */
@Component
class StripeInvoicing {

    private static final Logger log = LoggerFactory.getLogger(StripeInvoicing.class);

    private final ObjectProvider<StripeClient> client;
    private final StripeProperties properties;
    private final JdbcClient jdbc;
    private final Invoices invoices;
    private final InvoiceLifecycle lifecycle;
    private final Tenants tenants;
    private final TransactionTemplate tx;
    private final Clock clock;

    StripeInvoicing(ObjectProvider<StripeClient> client, StripeProperties properties, JdbcClient jdbc,
            Invoices invoices, InvoiceLifecycle lifecycle, Tenants tenants, PlatformTransactionManager transactions,
            Clock clock) {
        this.client = client;
        this.properties = properties;
        this.jdbc = jdbc;
        this.invoices = invoices;
        this.lifecycle = lifecycle;
        this.tenants = tenants;
        this.tx = newTransaction(transactions);
        this.clock = clock;
    }

    @TransactionalEventListener
    void on(InvoiceClosed closed) {
        if (client.getIfAvailable() == null) {
            return;
        }
        try {
            push(closed.tenantId(), closed.invoiceId());
        } catch (StripeException | RuntimeException e) {
            log.warn("pushing invoice {} to Stripe failed; the reconciler retries: {}", closed.invoiceId(),
                    e.getMessage());
        }
    }

    /** A new transaction each time: also from after-commit listeners, whose finished transaction must not be joined. */
    static TransactionTemplate newTransaction(PlatformTransactionManager transactions) {
        TransactionTemplate template = new TransactionTemplate(transactions);
        template.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        return template;
    }

    static RequestOptions key(String key) {
        return RequestOptions.builder().setIdempotencyKey("carbonledger-" + key).build();
    }

    /** Brings an OPEN invoice to FINALIZED (and sent) in Stripe; returns the Stripe invoice id. */
    String push(UUID tenantId, UUID invoiceId) throws StripeException {
        StripeClient stripe = client.getObject();
        Invoice invoice = invoices.get(tenantId, invoiceId);
        String customer = customer(stripe, tenantId);
        String currency = invoice.currency().toLowerCase(Locale.ROOT);
        String stripeId = invoice.stripeInvoiceId();
        if (stripeId == null) {
            stripeId = stripe.v1().invoices().create(InvoiceCreateParams.builder()
                    .setCustomer(customer).setCurrency(currency)
                    .setCollectionMethod(InvoiceCreateParams.CollectionMethod.SEND_INVOICE)
                    .setDaysUntilDue(properties.daysUntilDue())
                    .setPendingInvoiceItemsBehavior(InvoiceCreateParams.PendingInvoiceItemsBehavior.EXCLUDE)
                    .setAutoAdvance(false)
                    .setDescription("CO2e of AI inference, " + invoice.periodStart() + " to " + invoice.periodEnd()
                            + " (exclusive), " + invoice.uncertainty().name().toLowerCase(Locale.ROOT)
                            .replace('_', ' ') + " estimate")
                    .putMetadata("carbonledger_invoice_id", invoice.id().toString())
                    .putMetadata("carbonledger_invoice_number", invoice.number())
                    .build(), key("invoice-" + invoice.id())).getId();
            String id = stripeId;
            tx.executeWithoutResult(s -> jdbc.sql("update invoices set stripe_invoice_id = ? where id = ?")
                    .params(id, invoiceId).update());
        }
        for (Invoice.Line line : invoice.lines()) {
            stripe.v1().invoiceItems().create(InvoiceItemCreateParams.builder()
                    .setCustomer(customer).setInvoice(stripeId).setCurrency(currency)
                    .setAmount(minorUnits(line.amount(), invoice.currency()))
                    .setDescription(line.description())
                    .putMetadata("carbonledger_line_id", line.id().toString())
                    .putMetadata("co2e_grams", line.co2eGrams().toPlainString())
                    .build(), key("item-" + line.id()));
        }
        com.stripe.model.Invoice finalized = stripe.v1().invoices().finalizeInvoice(stripeId,
                key("finalize-" + invoice.id()));
        stripe.v1().invoices().sendInvoice(stripeId, key("send-" + invoice.id()));
        tx.executeWithoutResult(s -> {
            Invoice locked = lifecycle.lock(tenantId, invoiceId);
            lifecycle.moveTo(locked, Invoice.Status.FINALIZED, "stripe finalize " + finalized.getId());
        });
        return stripeId;
    }

    private String customer(StripeClient stripe, UUID tenantId) throws StripeException {
        var mapped = jdbc.sql("select stripe_customer_id from stripe_customers where tenant_id = ?").param(tenantId)
                .query(String.class).optional();
        if (mapped.isPresent()) {
            return mapped.get();
        }
        String name = tenants.get(tenantId).name();
        String id = stripe.v1().customers().create(CustomerCreateParams.builder().setName(name)
                .putMetadata("carbonledger_tenant_id", tenantId.toString()).build(),
                key("customer-" + tenantId)).getId();
        tx.executeWithoutResult(s -> jdbc.sql("""
                insert into stripe_customers (tenant_id, stripe_customer_id, created_at) values (?, ?, ?)
                on conflict (tenant_id) do nothing""")
                .params(tenantId, id, Timestamp.from(clock.instant())).update());
        return id;
    }

    static long minorUnits(BigDecimal amount, String currency) {
        return amount.movePointRight(Currency.getInstance(currency).getDefaultFractionDigits()).longValueExact();
    }
}
