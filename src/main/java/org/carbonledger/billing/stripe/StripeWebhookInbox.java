package org.carbonledger.billing.stripe;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Event;
import com.stripe.net.ApiResource;
import com.stripe.net.Webhook;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.carbonledger.shared.web.ApiProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The webhook inbox. A delivery is verified (signature over the exact bytes with the endpoint secret, timestamp
 * within the tolerance window), stored once per event id, and processed in its own transaction. A redelivered event
 * id is acknowledged without being processed again. Processing that fails is retried with exponential backoff by
 * {@link #processDue()}, and parked as FAILED after the last attempt.
 */
@Component
class StripeWebhookInbox {

    private static final Logger log = LoggerFactory.getLogger(StripeWebhookInbox.class);

    enum Outcome {
        PROCESSED, IGNORED, PENDING, FAILED, DUPLICATE
    }

    record WebhookReceipt(String eventId, String type, Outcome outcome) {
    }

    private final StripeProperties properties;
    private final StripeEventHandler handler;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;

    StripeWebhookInbox(StripeProperties properties, StripeEventHandler handler, JdbcClient jdbc,
            PlatformTransactionManager transactions, Clock clock) {
        this.properties = properties;
        this.handler = handler;
        this.jdbc = jdbc;
        this.tx = StripeInvoicing.newTransaction(transactions);
        this.clock = clock;
    }

    WebhookReceipt receive(String payload, String signature) {
        if (properties.webhookSecret() == null) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "Not Found", "Stripe webhooks are not configured here", null);
        }
        if (signature == null || signature.isBlank()) {
            log.warn("Stripe webhook refused: no Stripe-Signature header");
            throw ApiProblem.invalid("Stripe-Signature", "is required");
        }
        if (payload == null || payload.isBlank()) {
            throw ApiProblem.invalid("body", "is empty: expected a Stripe event");
        }
        Event event;
        try {
            event = Webhook.constructEvent(payload, signature, properties.webhookSecret(),
                    properties.webhookTolerance().toSeconds(), clock);
        } catch (SignatureVerificationException e) {
            log.warn("Stripe webhook refused: {}", e.getMessage());
            throw ApiProblem.invalid("Stripe-Signature", "verification failed: " + e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Stripe webhook refused: malformed payload: {}", e.getMessage());
            throw ApiProblem.invalid("body", "is not a Stripe event: " + e.getMessage());
        }
        if (event == null || event.getId() == null || event.getType() == null || event.getCreated() == null) {
            throw ApiProblem.invalid("body", "is not a Stripe event: id, type and created are required");
        }
        Instant now = clock.instant();
        int inserted = jdbc.sql("""
                insert into stripe_events (event_id, type, object_id, created_at, payload, status, next_attempt_at,
                                           received_at)
                values (?, ?, ?, ?, ?, 'PENDING', ?, ?) on conflict (event_id) do nothing""")
                .params(event.getId(), event.getType(), objectId(event),
                        Timestamp.from(Instant.ofEpochSecond(event.getCreated())), payload, Timestamp.from(now),
                        Timestamp.from(now))
                .update();
        if (inserted == 0) {
            log.info("Stripe event {} ({}) delivered again: acknowledged, not processed again", event.getId(),
                    event.getType());
            return new WebhookReceipt(event.getId(), event.getType(), Outcome.DUPLICATE);
        }
        return new WebhookReceipt(event.getId(), event.getType(), process(event.getId()));
    }

    private static String objectId(Event event) {
        try {
            var object = event.getData() == null ? null : event.getData().getObject();
            return object == null ? null : ApiResource.GSON.toJsonTree(object).getAsJsonObject().get("id")
                    .getAsString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Processes one pending event; on failure schedules the next attempt (or parks it). */
    Outcome process(String eventId) {
        try {
            Optional<Outcome> done = tx.execute(s -> {
                Optional<String> payload = jdbc.sql("""
                        select payload from stripe_events where event_id = ? and status = 'PENDING'
                           for update skip locked""").param(eventId).query(String.class).optional();
                if (payload.isEmpty()) {
                    return Optional.<Outcome>empty();
                }
                Event event = ApiResource.GSON.fromJson(payload.get(), Event.class);
                StripeEventHandler.Outcome outcome;
                try {
                    outcome = handler.handle(event);
                } catch (com.stripe.exception.StripeException e) {
                    throw new IllegalStateException("Stripe API: " + e.getMessage(), e);
                }
                jdbc.sql("""
                        update stripe_events set status = ?, attempts = attempts + 1, processed_at = ?,
                                                 next_attempt_at = null, last_error = null where event_id = ?""")
                        .params(outcome.name(), Timestamp.from(clock.instant()), eventId).update();
                return Optional.of(Outcome.valueOf(outcome.name()));
            });
            return done.orElse(Outcome.DUPLICATE);
        } catch (RuntimeException e) {
            return tx.execute(s -> {
                int attempts = jdbc.sql("select attempts from stripe_events where event_id = ?").param(eventId)
                        .query(Integer.class).single() + 1;
                boolean last = attempts >= properties.maxAttempts();
                Duration delay = properties.retryBase().multipliedBy(1L << Math.min(attempts - 1, 20));
                log.warn("Stripe event {} failed (attempt {}): {}{}", eventId, attempts, e.getMessage(),
                        last ? "; parked as FAILED" : "; next attempt in " + delay);
                jdbc.sql("""
                        update stripe_events set attempts = ?, status = ?, next_attempt_at = ?, last_error = ?
                         where event_id = ?""")
                        .params(attempts, last ? "FAILED" : "PENDING",
                                last ? null : Timestamp.from(clock.instant().plus(delay)),
                                String.valueOf(e.getMessage()), eventId)
                        .update();
                return last ? Outcome.FAILED : Outcome.PENDING;
            });
        }
    }

    /** Retries every pending event whose next attempt is due; returns how many were attempted. */
    int processDue() {
        List<String> due = jdbc.sql("""
                select event_id from stripe_events where status = 'PENDING' and next_attempt_at <= ?
                 order by created_at, received_at limit 200""").param(Timestamp.from(clock.instant()))
                .query(String.class).list();
        due.forEach(this::process);
        return due.size();
    }
}
