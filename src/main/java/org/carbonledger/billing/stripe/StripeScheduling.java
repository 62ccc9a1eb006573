package org.carbonledger.billing.stripe;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * The webhook retry worker and the periodic reconciliation; off with {@code carbonledger.stripe.scheduling=false}
 * (tests drive both by hand).
 */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@ConditionalOnProperty(name = "carbonledger.stripe.scheduling", havingValue = "true", matchIfMissing = true)
class StripeScheduling {

    private final StripeWebhookInbox inbox;
    private final ObjectProvider<StripeReconciler> reconciler;

    StripeScheduling(StripeWebhookInbox inbox, ObjectProvider<StripeReconciler> reconciler) {
        this.inbox = inbox;
        this.reconciler = reconciler;
    }

    @Scheduled(initialDelayString = "${carbonledger.stripe.retry-interval:PT15S}",
            fixedDelayString = "${carbonledger.stripe.retry-interval:PT15S}")
    void retryWebhooks() {
        inbox.processDue();
    }

    @Scheduled(initialDelayString = "${carbonledger.stripe.reconcile-interval:PT15M}",
            fixedDelayString = "${carbonledger.stripe.reconcile-interval:PT15M}")
    void reconcile() {
        reconciler.getObject().reconcile();
    }
}
