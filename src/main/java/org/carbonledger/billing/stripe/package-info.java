/**
 * Stripe adapter: customers, invoices and their items through stripe-java's {@code StripeClient}, the webhook inbox,
 * and the reconciler (exposed to the command line).
 */
@org.springframework.modulith.NamedInterface("stripe")
package org.carbonledger.billing.stripe;
