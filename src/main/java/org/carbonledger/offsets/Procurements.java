package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import org.carbonledger.offsets.internal.AllocationLedger;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Tenants;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Procures credits for what a tenant's paid invoices left uncovered (no credits its policy allows were left at
 * payment), from the provider of the chosen product: registry inventory retires and allocates at once, Stripe
 * Climate orders the exact mass and earmarks it as pending until delivery.
 */
@Service
public class Procurements {

    private final List<OffsetProvider> providers;
    private final AllocationLedger ledger;
    private final OffsetProducts products;
    private final Tenants tenants;

    Procurements(List<OffsetProvider> providers, AllocationLedger ledger, OffsetProducts products, Tenants tenants) {
        this.providers = providers;
        this.ledger = ledger;
        this.products = products;
        this.tenants = tenants;
    }

    @Transactional
    public OffsetProvider.Procurement procureOutstanding(UUID tenantId, UUID productId, String beneficiary) {
        var tenant = tenants.find(tenantId).orElseThrow(() -> ApiProblem.invalid("tenantId",
                "tenant " + tenantId + " does not exist"));
        OffsetProduct product = products.find(productId).orElseThrow(() -> ApiProblem.invalid("productId",
                "offset product " + productId + " does not exist"));
        List<OffsetProvider.Earmark> earmarks = ledger.outstandingPaid(tenantId).stream()
                .map(o -> new OffsetProvider.Earmark(o.emissionRecordId(), o.co2eGrams())).toList();
        BigDecimal grams = earmarks.stream().map(OffsetProvider.Earmark::co2eGrams)
                .reduce(BigDecimal.ZERO, BigDecimal::add);
        if (grams.signum() == 0) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Nothing to procure", "every paid emission of tenant "
                    + tenantId + " is covered or ordered", "tenantId");
        }
        OffsetProvider provider = providers.stream().filter(p -> p.kind() == product.provider()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no provider for " + product.provider()));
        return provider.procure(new OffsetProvider.Request(UUID.randomUUID(), tenantId, product, grams,
                beneficiary != null ? beneficiary : tenant.name(), earmarks));
    }
}
