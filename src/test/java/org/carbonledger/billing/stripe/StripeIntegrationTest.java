package org.carbonledger.billing.stripe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The application in Stripe mode: the real stripe-java client over HTTP against {@link StripeStub}, webhooks signed
 * by {@link StripeWebhookSigner}. Scheduled work is off; tests run the retry worker and reconciler themselves.
 */
@TestPropertySource(properties = {
        "carbonledger.stripe.api-key=sk_test_stub",
        "carbonledger.stripe.webhook-secret=" + StripeIntegrationTest.WEBHOOK_SECRET,
        "carbonledger.stripe.scheduling=false",
        "carbonledger.stripe.retry-base=PT30S",
        "carbonledger.stripe.max-attempts=3"})
public abstract class StripeIntegrationTest extends IntegrationTest {

    public static final String WEBHOOK_SECRET = "whsec_test_0123456789abcdef";
    protected static final StripeStub STUB = start();
    protected static final StripeWebhookSigner SIGNER = new StripeWebhookSigner(WEBHOOK_SECRET);

    private static StripeStub start() {
        try {
            return new StripeStub();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void stripeApiBase(DynamicPropertyRegistry registry) {
        registry.add("carbonledger.stripe.api-base", STUB::baseUrl);
    }

    @Autowired
    protected StripeWebhookInbox inbox;

    @Autowired
    StripeReconciler reconciler;

    protected static String eventId() {
        return "evt_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Delivers a payload with a signature made now (test clock), as Stripe would. */
    protected Api.Response deliver(String payload) {
        return deliver(payload, SIGNER.sign(payload, clock.instant()));
    }

    protected Api.Response deliver(String payload, String signature) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/v1/webhooks/stripe"))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(payload));
        if (signature != null) {
            request.header("Stripe-Signature", signature);
        }
        try {
            HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Api.Response(response.statusCode(), response.body().length == 0 ? null
                    : Api.JSON.readTree(response.body()), response.body(), response.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected long epoch() {
        return clock.instant().getEpochSecond();
    }

    static long epoch(Instant at) {
        return at.getEpochSecond();
    }
}
