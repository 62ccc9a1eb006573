package org.carbonledger.billing.stripe;

import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.carbonledger.shared.CallerContext;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Stripe's webhook endpoint (authenticated by the payload signature, not by API key) and the operator's reconcile. */
@RestController
class StripeWebhookController {

    private final StripeWebhookInbox inbox;
    private final StripeReconciler reconciler;
    private final CallerContext callers;

    StripeWebhookController(StripeWebhookInbox inbox, StripeReconciler reconciler, CallerContext callers) {
        this.inbox = inbox;
        this.reconciler = reconciler;
        this.callers = callers;
    }

    @org.carbonledger.shared.web.PublicEndpoint("Stripe signs its webhooks; the signature is verified instead of a key")
    @PostMapping(path = "/v1/webhooks/stripe", consumes = "application/json")
    @ApiResponse(responseCode = "200", description = "Accepted: processed, ignored, duplicate or queued for retry")
    StripeWebhookInbox.WebhookReceipt receive(
            @RequestHeader(name = "Stripe-Signature", required = false) String signature,
            @RequestBody(required = false) String payload) {
        return inbox.receive(payload, signature);
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.OPERATOR)
    @PostMapping("/v1/billing/reconciliations")
    StripeReconciler.ReconciliationReport reconcile() {
        callers.requireOperator();
        return reconciler.reconcile();
    }
}
