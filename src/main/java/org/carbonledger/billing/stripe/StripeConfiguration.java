package org.carbonledger.billing.stripe;

import com.stripe.StripeClient;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** One {@link StripeClient} instance built from configuration, only when an API key is set (no global state). */
@Configuration(proxyBeanMethods = false)
class StripeConfiguration {

    @Bean
    @ConditionalOnExpression("!'${carbonledger.stripe.api-key:}'.isBlank()")
    StripeClient stripeClient(StripeProperties properties) {
        var builder = StripeClient.builder().setApiKey(properties.apiKey()).setMaxNetworkRetries(2);
        if (properties.apiBase() != null) {
            builder.setApiBase(properties.apiBase());
        }
        return builder.build();
    }
}
