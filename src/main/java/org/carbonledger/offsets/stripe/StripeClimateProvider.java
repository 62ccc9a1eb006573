package org.carbonledger.offsets.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.climate.Order;
import com.stripe.net.RequestOptions;
import com.stripe.param.climate.OrderCreateParams;
import java.sql.Timestamp;
import org.carbonledger.offsets.OffsetProvider;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Stripe Climate: orders the exact mass (fractional tonnes) of the product through stripe-java's climate API, with
 * an idempotency key from our order id, and earmarks the grams of each record as pending until Stripe delivers.
 */
@Component
class StripeClimateProvider implements OffsetProvider {

    private final ObjectProvider<StripeClient> client;
    private final JdbcClient jdbc;
    private final java.time.Clock clock;

    StripeClimateProvider(ObjectProvider<StripeClient> client, JdbcClient jdbc, java.time.Clock clock) {
        this.client = client;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public Kind kind() {
        return Kind.STRIPE_CLIMATE;
    }

    @Override
    public Procurement procure(Request r) {
        StripeClient stripe = client.getIfAvailable();
        if (stripe == null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Stripe is not configured", "product " + r.product().id()
                    + " is ordered from Stripe Climate, and no Stripe API key is configured", "productId");
        }
        Order order;
        try {
            order = stripe.climate().orders().create(OrderCreateParams.builder()
                    .setProduct(r.product().stripeProductId())
                    // as a plain decimal: BigDecimal's own text of a small mass is exponent notation (8.2E-7)
                    .putExtraParam("metric_tons", r.co2eGrams().movePointLeft(6).stripTrailingZeros()
                            .toPlainString())
                    .setBeneficiary(OrderCreateParams.Beneficiary.builder().setPublicName(r.beneficiary()).build())
                    .putMetadata("carbonledger_order_id", r.id().toString())
                    .putMetadata("carbonledger_tenant_id", r.tenantId().toString())
                    .build(), RequestOptions.builder()
                            .setIdempotencyKey("carbonledger-climate-order-" + r.id()).build());
        } catch (StripeException e) {
            throw new ApiProblem(HttpStatus.BAD_GATEWAY, "Stripe Climate refused the order", e.getMessage(),
                    "productId");
        }
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.sql("""
                insert into climate_orders (id, tenant_id, product_id, stripe_order_id, status, co2e_grams,
                    amount_total, currency, beneficiary, expected_delivery_year, created_at, updated_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(r.id(), r.tenantId(), r.product().id(), order.getId(), ClimateOrderLifecycle.status(order),
                        r.co2eGrams(), order.getAmountTotal(),
                        order.getCurrency() == null ? null : order.getCurrency().toUpperCase(java.util.Locale.ROOT),
                        r.beneficiary(), order.getExpectedDeliveryYear(), now, now)
                .update();
        for (Earmark e : r.earmarks()) {
            jdbc.sql("""
                    insert into climate_order_earmarks (order_id, emission_record_id, tenant_id, co2e_grams, status,
                                                        created_at)
                    values (?, ?, ?, ?, 'PENDING', ?)""")
                    .params(r.id(), e.emissionRecordId(), r.tenantId(), e.co2eGrams(), now).update();
        }
        return new Procurement(r.id(), kind(), r.tenantId(), r.product().id(), r.co2eGrams(), State.PENDING, null,
                r.id(), order.getId());
    }
}
