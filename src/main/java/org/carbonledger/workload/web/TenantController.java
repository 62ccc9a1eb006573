package org.carbonledger.workload.web;

import org.carbonledger.shared.audit.AuditLog;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Tenant;
import org.carbonledger.workload.Tenants;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class TenantController {

    static final BigDecimal DEFAULT_PRICE_PER_TONNE = new BigDecimal("100");

    private final Tenants tenants;
    private final CallerContext callers;
    private final AuditLog audit;

    TenantController(Tenants tenants, CallerContext callers, AuditLog audit) {
        this.tenants = tenants;
        this.callers = callers;
        this.audit = audit;
    }

    record CreateTenant(@NotBlank @Size(max = 200) String name,
            @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code such as USD") String currency,
            @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 15, fraction = 4, message = "at most 15 digits and 4 decimals") BigDecimal pricePerTonne) {
    }

    record TenantView(UUID id, String name, String currency, BigDecimal pricePerTonne) {
        static TenantView of(Tenant t) {
            return new TenantView(t.id(), t.name(), t.pricePerTonne().currency().getCurrencyCode(),
                    t.pricePerTonne().amount());
        }
    }

    record CreatedTenant(UUID id, String name, String currency, BigDecimal pricePerTonne, String apiKey) {
    }

    @PostMapping("/v1/tenants")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    CreatedTenant create(@Valid @RequestBody CreateTenant body) {
        callers.requireOperator();
        String code = body.currency() == null ? "USD" : body.currency();
        Currency currency;
        try {
            currency = Currency.getInstance(code);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("currency", "'" + code + "' is not an ISO 4217 currency");
        }
        BigDecimal price = body.pricePerTonne() == null ? DEFAULT_PRICE_PER_TONNE : body.pricePerTonne();
        var created = tenants.create(body.name().trim(), new Money(price, currency));
        Tenant t = created.tenant();
        audit.record(AuditLog.Action.TENANT_CREATED, "tenant", t.id());
        return new CreatedTenant(t.id(), t.name(), code, price, created.apiKey());
    }

    @GetMapping("/v1/tenants/me")
    @RequiresScope(Scope.READ)
    TenantView me() {
        return TenantView.of(tenants.get(callers.requireTenant()));
    }
}
