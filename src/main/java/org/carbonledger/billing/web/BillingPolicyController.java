package org.carbonledger.billing.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.math.BigDecimal;
import java.time.LocalDate;
import org.carbonledger.billing.BillingPolicies;
import org.carbonledger.billing.BillingPolicy;
import org.carbonledger.shared.CallerContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class BillingPolicyController {

    private final BillingPolicies policies;
    private final CallerContext callers;

    BillingPolicyController(BillingPolicies policies, CallerContext callers) {
        this.policies = policies;
        this.callers = callers;
    }

    record PolicyBody(
            @NotNull BillingPolicy.PricingMode pricingMode,
            @DecimalMin("0") @DecimalMax(value = "1000000000", inclusive = false) BigDecimal pricePerTonne,
            @DecimalMin("0") @DecimalMax("1000") BigDecimal marginPercent,
            @DecimalMin("0") @DecimalMax(value = "1000000000", inclusive = false) BigDecimal feePerInvoice,
            @NotNull @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code, e.g. USD") String currency,
            BillingPolicy.Uncertainty uncertainty,
            @Min(1) @Max(366) Integer periodDays,
            LocalDate periodAnchor,
            java.util.UUID offsetProductId) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/billing/policy")
    BillingPolicy get() {
        return policies.get(callers.requireTenant());
    }

    /** Replaces the tenant's pricing and billing-period policy; periods closed before keep what they billed. */
    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.BILLING_ADMIN)
    @PutMapping("/v1/billing/policy")
    BillingPolicy put(@Valid @RequestBody PolicyBody body) {
        return policies.put(callers.requireTenant(), new BillingPolicy(body.pricingMode(), body.pricePerTonne(),
                body.marginPercent() == null ? BigDecimal.ZERO : body.marginPercent(),
                body.feePerInvoice() == null ? BigDecimal.ZERO : body.feePerInvoice(), body.currency(),
                body.uncertainty() == null ? BillingPolicy.Uncertainty.CENTRAL : body.uncertainty(),
                body.periodDays(), body.periodAnchor(), body.offsetProductId()));
    }
}
