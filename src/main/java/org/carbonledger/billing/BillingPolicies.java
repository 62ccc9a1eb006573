package org.carbonledger.billing;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Tenant;
import org.carbonledger.workload.Tenants;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** A tenant's pricing and billing-period policy; without one, the tenant's price per tonne, monthly, central. */
@Service
public class BillingPolicies {

    private final JdbcClient jdbc;
    private final Tenants tenants;
    private final Clock clock;

    BillingPolicies(JdbcClient jdbc, Tenants tenants, Clock clock) {
        this.jdbc = jdbc;
        this.tenants = tenants;
        this.clock = clock;
    }

    public BillingPolicy get(UUID tenantId) {
        return jdbc.sql("select * from billing_policies where tenant_id = ?").param(tenantId)
                .query((rs, n) -> new BillingPolicy(BillingPolicy.PricingMode.valueOf(rs.getString("pricing_mode")),
                        rs.getBigDecimal("price_per_tonne"), rs.getBigDecimal("margin_percent"),
                        rs.getBigDecimal("fee_per_invoice"), rs.getString("currency"),
                        BillingPolicy.Uncertainty.valueOf(rs.getString("uncertainty")),
                        (Integer) rs.getObject("period_days"),
                        rs.getObject("period_anchor", java.time.LocalDate.class),
                        rs.getObject("offset_product_id", UUID.class)))
                .optional().orElseGet(() -> defaults(tenants.get(tenantId)));
    }

    static BillingPolicy defaults(Tenant tenant) {
        return new BillingPolicy(BillingPolicy.PricingMode.FIXED, tenant.pricePerTonne().amount(), BigDecimal.ZERO,
                BigDecimal.ZERO, tenant.pricePerTonne().currency().getCurrencyCode(),
                BillingPolicy.Uncertainty.CENTRAL, null, null, null);
    }

    /** Replaces the policy; applies to periods closed from now on (closed invoices keep what they billed). */
    @Transactional
    public BillingPolicy put(UUID tenantId, BillingPolicy p) {
        tenants.get(tenantId);
        if ((p.pricingMode() == BillingPolicy.PricingMode.FIXED) != (p.pricePerTonne() != null)) {
            throw ApiProblem.invalid("pricePerTonne", p.pricingMode() == BillingPolicy.PricingMode.FIXED
                    ? "is required for FIXED pricing" : "must be absent for " + p.pricingMode() + " pricing");
        }
        if ((p.pricingMode() == BillingPolicy.PricingMode.PRODUCT) != (p.offsetProductId() != null)) {
            throw ApiProblem.invalid("offsetProductId", p.pricingMode() == BillingPolicy.PricingMode.PRODUCT
                    ? "is required for PRODUCT pricing" : "is only for PRODUCT pricing");
        }
        if ((p.periodDays() == null) != (p.periodAnchor() == null)) {
            throw ApiProblem.invalid("periodAnchor", "periodDays and periodAnchor go together (both absent = monthly)");
        }
        try {
            java.util.Currency.getInstance(p.currency());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("currency", "is not an ISO 4217 currency: " + p.currency());
        }
        if (p.offsetProductId() != null) {
            ProductPrice price = productPrice(p.offsetProductId()).orElseThrow(() -> ApiProblem.invalid(
                    "offsetProductId", "offset product " + p.offsetProductId() + " is not in the catalog"));
            if (price.pricePerTonne() == null) {
                throw ApiProblem.invalid("offsetProductId", "offset product " + price.label()
                        + " has no price per tonne to bill");
            }
            if (!price.currency().equals(p.currency())) {
                throw ApiProblem.invalid("currency", "offset product " + price.label() + " is priced in "
                        + price.currency() + ", not " + p.currency());
            }
        }
        jdbc.sql("""
                insert into billing_policies (tenant_id, pricing_mode, price_per_tonne, margin_percent, fee_per_invoice,
                                              currency, uncertainty, period_days, period_anchor, updated_at,
                                              offset_product_id)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (tenant_id) do update set pricing_mode = excluded.pricing_mode,
                    price_per_tonne = excluded.price_per_tonne, margin_percent = excluded.margin_percent,
                    fee_per_invoice = excluded.fee_per_invoice, currency = excluded.currency,
                    uncertainty = excluded.uncertainty, period_days = excluded.period_days,
                    period_anchor = excluded.period_anchor, updated_at = excluded.updated_at,
                    offset_product_id = excluded.offset_product_id""")
                .params(tenantId, p.pricingMode().name(), p.pricePerTonne(), p.marginPercent(), p.feePerInvoice(),
                        p.currency(), p.uncertainty().name(), p.periodDays(), p.periodAnchor(),
                        Timestamp.from(clock.instant()), p.offsetProductId())
                .update();
        return get(tenantId);
    }

    /** An offset product's list price as billing sees it (read from the offsets module's catalog table). */
    record ProductPrice(UUID id, String label, java.math.BigDecimal pricePerTonne, String currency) {
    }

    java.util.Optional<ProductPrice> productPrice(UUID productId) {
        return jdbc.sql("""
                select id, name || ' (' || registry || ' ' || registry_project_id || ')', price_per_tonne, currency
                  from offset_products where id = ?""").param(productId)
                .query((rs, n) -> new ProductPrice(rs.getObject(1, UUID.class), rs.getString(2), rs.getBigDecimal(3),
                        rs.getString(4)))
                .optional();
    }
}
