package org.carbonledger.offsets.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.climate.Product;
import com.stripe.param.climate.ProductListParams;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import org.carbonledger.offsets.OffsetProduct;
import org.carbonledger.offsets.OffsetProducts;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Brings Stripe Climate's products into the catalog: name, delivery year and the price per tonne in one currency
 * ({@code current_prices_per_metric_ton[currency].amount_total}, fees included, from minor units).
 */
@Service
public class ClimateCatalogSync {

    private final ObjectProvider<StripeClient> client;
    private final OffsetProducts products;

    ClimateCatalogSync(ObjectProvider<StripeClient> client, OffsetProducts products) {
        this.client = client;
        this.products = products;
    }

    public List<OffsetProduct> sync(Currency currency) {
        StripeClient stripe = client.getIfAvailable();
        if (stripe == null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Stripe is not configured",
                    "no Stripe API key is configured to read Stripe Climate products from", "currency");
        }
        List<OffsetProduct> synced = new ArrayList<>();
        try {
            for (Product p : stripe.climate().products().list(ProductListParams.builder().setLimit(100L).build())
                    .autoPagingIterable()) {
                var price = p.getCurrentPricesPerMetricTon() == null ? null
                        : p.getCurrentPricesPerMetricTon().get(currency.getCurrencyCode().toLowerCase(Locale.ROOT));
                Money perTonne = price == null || price.getAmountTotal() == null ? null
                        : new Money(BigDecimal.valueOf(price.getAmountTotal())
                                .movePointLeft(currency.getDefaultFractionDigits()), currency);
                synced.add(products.upsertStripeClimate(p.getId(), p.getName(),
                        p.getDeliveryYear() == null ? null : p.getDeliveryYear().intValue(), perTonne));
            }
        } catch (StripeException e) {
            throw new ApiProblem(HttpStatus.BAD_GATEWAY, "Stripe Climate unavailable", e.getMessage(), "currency");
        }
        return synced;
    }
}
