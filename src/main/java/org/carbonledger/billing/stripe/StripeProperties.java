package org.carbonledger.billing.stripe;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code carbonledger.stripe.*}. Without an API key billing stays offline (invoices are paid through the API);
 * without a webhook secret the webhook endpoint answers 404.
 *
 * @param apiBase the Stripe API base URL; a local Stripe-shaped server in tests
 * @param webhookTolerance how old a signed webhook may be before it is refused as stale or replayed
 * @param retryBase first retry delay of a failed event; doubles per attempt
 * @param maxAttempts attempts before an event is parked as FAILED (the reconciler still repairs its invoice)
 */
@ConfigurationProperties("carbonledger.stripe")
public record StripeProperties(String apiKey, String apiBase, String webhookSecret, Duration webhookTolerance,
        Duration retryBase, Integer maxAttempts, Long daysUntilDue) {

    public StripeProperties {
        apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        apiBase = apiBase == null || apiBase.isBlank() ? null : apiBase;
        webhookSecret = webhookSecret == null || webhookSecret.isBlank() ? null : webhookSecret;
        webhookTolerance = webhookTolerance == null ? Duration.ofMinutes(5) : webhookTolerance;
        retryBase = retryBase == null ? Duration.ofSeconds(30) : retryBase;
        maxAttempts = maxAttempts == null ? 8 : maxAttempts;
        daysUntilDue = daysUntilDue == null ? 30L : daysUntilDue;
    }

    public boolean enabled() {
        return apiKey != null;
    }
}
