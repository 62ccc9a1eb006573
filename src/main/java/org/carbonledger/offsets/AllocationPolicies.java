package org.carbonledger.offsets;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.Arrays;
import java.util.UUID;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Tenants;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Each tenant's allocation policy; without one, {@link AllocationPolicy#ANY}. */
@Service
public class AllocationPolicies {

    private final JdbcClient jdbc;
    private final Tenants tenants;
    private final OffsetProducts products;
    private final Clock clock;
    private final org.carbonledger.billing.BillingPolicies billing;

    AllocationPolicies(JdbcClient jdbc, Tenants tenants, OffsetProducts products, Clock clock,
            org.carbonledger.billing.BillingPolicies billing) {
        this.jdbc = jdbc;
        this.billing = billing;
        this.tenants = tenants;
        this.products = products;
        this.clock = clock;
    }

    public AllocationPolicy get(UUID tenantId) {
        return jdbc.sql("select * from offset_allocation_policies where tenant_id = ?").param(tenantId)
                .query((rs, n) -> {
                    java.sql.Array registries = rs.getArray("registries");
                    return new AllocationPolicy(rs.getBoolean("removal_only"), (Integer) rs.getObject("min_vintage"),
                            registries == null ? null : Arrays.stream((String[]) registries.getArray())
                                    .map(OffsetLot.Registry::valueOf).toList(),
                            rs.getObject("product_id", UUID.class),
                            AllocationPolicy.RetirementOrder.valueOf(rs.getString("retirement_order")));
                })
                .optional().orElse(AllocationPolicy.ANY);
    }

    /**
     * The policy retirement applies: the stored one, and when it names no product but the tenant is priced by an
     * offset product, that product — a tenant billed for a product's credits is covered by them.
     */
    public AllocationPolicy effective(UUID tenantId) {
        AllocationPolicy p = get(tenantId);
        var pricing = billing.get(tenantId);
        if (p.productId() == null
                && pricing.pricingMode() == org.carbonledger.billing.BillingPolicy.PricingMode.PRODUCT) {
            return new AllocationPolicy(p.removalOnly(), p.minVintage(), p.registries(), pricing.offsetProductId(),
                    p.retirementOrder());
        }
        return p;
    }

    /** Replaces the policy; it applies to retirements from now on (what is retired stays allocated). */
    @Transactional
    public AllocationPolicy put(UUID tenantId, AllocationPolicy p) {
        tenants.get(tenantId);
        if (p.productId() != null && products.find(p.productId()).isEmpty()) {
            throw ApiProblem.invalid("productId", "offset product " + p.productId() + " is not in the catalog");
        }
        if (p.registries() != null && p.registries().isEmpty()) {
            throw ApiProblem.invalid("registries", "name at least one registry, or leave it out to allow all");
        }
        String[] registries = p.registries() == null ? null
                : p.registries().stream().distinct().map(Enum::name).toArray(String[]::new);
        jdbc.sql("""
                insert into offset_allocation_policies (tenant_id, removal_only, min_vintage, registries, product_id,
                                                        retirement_order, updated_at)
                values (?, ?, ?, ?, ?, ?, ?)
                on conflict (tenant_id) do update set removal_only = excluded.removal_only,
                    min_vintage = excluded.min_vintage, registries = excluded.registries,
                    product_id = excluded.product_id, retirement_order = excluded.retirement_order,
                    updated_at = excluded.updated_at""")
                .params(tenantId, p.removalOnly(), p.minVintage(), registries, p.productId(),
                        p.retirementOrder().name(), Timestamp.from(clock.instant()))
                .update();
        return get(tenantId);
    }
}
