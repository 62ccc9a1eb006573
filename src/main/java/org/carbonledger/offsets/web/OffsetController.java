package org.carbonledger.offsets.web;

import org.carbonledger.shared.audit.AuditLog;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.util.UUID;
import org.carbonledger.offsets.OffsetLot;
import org.carbonledger.offsets.OffsetLots;
import org.carbonledger.offsets.AllocationPolicies;
import org.carbonledger.offsets.CoverageReport;
import org.carbonledger.offsets.AllocationPolicy;
import org.carbonledger.offsets.internal.AllocationLedger;
import org.carbonledger.workload.Tenants;
import org.springframework.web.bind.annotation.PutMapping;
import org.carbonledger.offsets.OffsetProduct;
import org.carbonledger.offsets.OffsetProducts;
import java.util.List;
import org.carbonledger.offsets.Retirement;
import org.carbonledger.offsets.Retirements;
import org.carbonledger.shared.Caller;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.Money;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class OffsetController {

    private final OffsetLots lots;
    private final OffsetProducts products;
    private final Retirements retirements;
    private final CallerContext callers;
    private final AuditLog audit;
    private final AllocationPolicies policies;
    private final AllocationLedger ledger;
    private final Tenants tenants;
    private final CoverageReport coverage;
    private final java.time.Clock clock;
    private final org.carbonledger.offsets.Procurements procurements;
    private final org.carbonledger.offsets.stripe.ClimateCatalogSync climateCatalog;

    OffsetController(OffsetLots lots, OffsetProducts products, Retirements retirements, CallerContext callers,
            AuditLog audit, AllocationPolicies policies, AllocationLedger ledger, Tenants tenants,
            CoverageReport coverage, java.time.Clock clock, org.carbonledger.offsets.Procurements procurements,
            org.carbonledger.offsets.stripe.ClimateCatalogSync climateCatalog) {
        this.procurements = procurements;
        this.climateCatalog = climateCatalog;
        this.coverage = coverage;
        this.clock = clock;
        this.policies = policies;
        this.ledger = ledger;
        this.tenants = tenants;
        this.lots = lots;
        this.products = products;
        this.retirements = retirements;
        this.callers = callers;
        this.audit = audit;
    }

    record CreateProduct(@NotNull OffsetLot.Registry registry,
            @NotBlank @Size(max = 100) String projectId,
            @NotBlank @Size(max = 300) String name,
            @NotNull OffsetLot.Kind kind,
            @NotBlank @Size(max = 200) String methodology,
            @NotNull @Pattern(regexp = "[A-Z]{2}", message = "must be an ISO 3166-1 alpha-2 code such as IN")
            String country,
            @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 15, fraction = 4, message = "at most 15 digits and 4 decimals") BigDecimal pricePerTonne,
            @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code such as USD") String currency) {
    }

    /** Adds a registry project's credits to the catalog; with a price per tonne, tenants can be priced by it. */
    @PostMapping("/v1/offsets/products")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    OffsetProduct createProduct(@Valid @RequestBody CreateProduct body) {
        callers.requireOperator();
        if (!org.carbonledger.offsets.SerialBlock.isCountry(body.country())) {
            throw ApiProblem.invalid("country", "'" + body.country() + "' is not an ISO 3166-1 alpha-2 country");
        }
        if ((body.pricePerTonne() == null) != (body.currency() == null)) {
            throw ApiProblem.invalid(body.pricePerTonne() == null ? "pricePerTonne" : "currency",
                    "pricePerTonne and currency go together");
        }
        Money price = body.pricePerTonne() == null ? null : money(body.pricePerTonne(), body.currency());
        OffsetProduct product = products.add(new OffsetProducts.NewProduct(body.registry(), body.projectId().trim(),
                body.name().trim(), body.kind(), body.methodology().trim(), body.country(), price));
        audit.record(AuditLog.Action.OFFSET_PRODUCT_CREATED, "offset-product", product.id());
        return product;
    }

    /** The catalog, readable by tenants choosing what they are priced by and what their emissions are covered by. */
    @GetMapping("/v1/offsets/products")
    @RequiresScope(Scope.READ)
    PageRequest.Page<OffsetProduct> products(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        return products.list(PageRequest.of(limit, cursor));
    }

    record CreateLot(@NotNull OffsetLot.Registry registry,
            @NotBlank @Size(max = 100) String projectId,
            @Min(1990) @Max(2100) Integer vintage,
            @Size(max = 300) String serialBlock,
            @Size(max = 100) String serialPrefix,
            @Min(0) Long serialFirst,
            @Min(0) Long serialLast,
            @NotNull @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 15, fraction = 4, message = "at most 15 digits and 4 decimals") BigDecimal pricePerTonne,
            @NotNull @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code such as USD") String currency) {
    }

    private static Money money(BigDecimal amount, String currency) {
        return new Money(amount, currency(currency));
    }

    private static java.util.Currency currency(String code) {
        try {
            return java.util.Currency.getInstance(code);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("currency", "'" + code + "' is not an ISO 4217 currency");
        }
    }

    @PostMapping("/v1/offsets/lots")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    OffsetLot create(@Valid @RequestBody CreateLot body) {
        callers.requireOperator();
        OffsetLot lot = lots.add(new OffsetLots.NewLot(body.registry(), body.projectId().trim(), body.vintage(),
                body.serialBlock(), body.serialPrefix(), body.serialFirst(), body.serialLast(),
                money(body.pricePerTonne(), body.currency())));
        audit.record(AuditLog.Action.OFFSET_LOT_CREATED, "offset-lot", lot.id());
        return lot;
    }

    record ImportedLots(int count, List<OffsetLot> items) {
    }

    /** Imports lots from CSV (columns in docs/api/README.md): every row or, on the first bad row, none. */
    @PostMapping(path = "/v1/offsets/lots/import", consumes = "text/csv")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    ImportedLots importLots(@RequestBody String csv) {
        callers.requireOperator();
        List<OffsetLot> added = lots.importCsv(csv);
        added.forEach(l -> audit.record(AuditLog.Action.OFFSET_LOT_CREATED, "offset-lot", l.id()));
        return new ImportedLots(added.size(), added);
    }

    @GetMapping("/v1/offsets/lots")
    @RequiresScope(Scope.OPERATOR)
    PageRequest.Page<OffsetLot> list(@RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        callers.requireOperator();
        return lots.list(PageRequest.of(limit, cursor));
    }

    /** The calling tenant's own retirements (the operator reads every tenant's at {@code /v1/operator/retirements}). */
    @GetMapping("/v1/offsets/retirements")
    @RequiresScope(Scope.READ)
    PageRequest.Page<Retirement> retirements(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        return retirements.ofTenant(callers.requireTenant(), PageRequest.of(limit, cursor));
    }

    /** Operators: every tenant's retirements, or one tenant's with {@code tenantId}. */
    @GetMapping("/v1/operator/retirements")
    @RequiresScope(Scope.OPERATOR)
    PageRequest.Page<Retirement> allRetirements(@RequestParam(required = false) UUID tenantId,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return retirements.all(tenantId, PageRequest.of(limit, cursor));
    }

    record AllocationPolicyBody(Boolean removalOnly,
            @Min(1990) @Max(2100) Integer minVintage,
            @Size(min = 1, max = 4) List<OffsetLot.@NotNull Registry> registries,
            UUID productId,
            AllocationPolicy.RetirementOrder retirementOrder) {
    }

    /** The calling tenant's allocation policy (any lot, oldest vintage first, when none was set). */
    @GetMapping("/v1/offsets/policy")
    @RequiresScope(Scope.READ)
    AllocationPolicy policy() {
        return policies.get(callers.requireTenant());
    }

    /** Replaces the calling tenant's allocation policy; it applies to retirements from now on. */
    @PutMapping("/v1/offsets/policy")
    @RequiresScope(Scope.BILLING_ADMIN)
    AllocationPolicy putPolicy(@Valid @RequestBody AllocationPolicyBody body) {
        return policies.put(callers.requireTenant(), new AllocationPolicy(Boolean.TRUE.equals(body.removalOnly()),
                body.minVintage(), body.registries(), body.productId(),
                body.retirementOrder() == null ? AllocationPolicy.RetirementOrder.OLDEST_VINTAGE_FIRST
                        : body.retirementOrder()));
    }

    record RecordRetirement(@NotNull UUID tenantId,
            @NotNull UUID lotId,
            @NotNull @Min(1) @Max(1_000_000_000) Long tonnes,
            @NotBlank @Size(max = 200) String registryRetirementId,
            @Size(min = 1, max = 300) String beneficiary,
            @NotBlank @Size(max = 1000) String reason) {
    }

    /**
     * Operators: records a retirement made in a registry account for a tenant — the next free serials of a lot —
     * and covers the tenant's outstanding paid emissions from it.
     */
    @PostMapping("/v1/operator/retirements")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    Retirement recordRetirement(@Valid @RequestBody RecordRetirement body) {
        callers.requireOperator();
        var tenant = tenants.find(body.tenantId()).orElseThrow(() -> ApiProblem.invalid("tenantId",
                "tenant " + body.tenantId() + " does not exist"));
        String beneficiary = body.beneficiary() != null ? body.beneficiary().trim() : tenant.name();
        UUID id = ledger.recordRegistryRetirement(new AllocationLedger.RegistryRetirement(body.tenantId(),
                body.lotId(), body.tonnes(), body.registryRetirementId().trim(), beneficiary, body.reason().trim()));
        audit.record(AuditLog.Action.OFFSET_RETIREMENT_RECORDED, "offset-retirement", id);
        return retirements.get(id);
    }

    record Procure(@NotNull UUID tenantId, @NotNull UUID productId, @Size(min = 1, max = 300) String beneficiary) {
    }

    /**
     * Operators: procures credits of a product for what the tenant's paid invoices left uncovered, from the
     * product's provider — registry inventory retires and allocates now, Stripe Climate orders and leaves it pending.
     */
    @PostMapping("/v1/operator/procurements")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    org.carbonledger.offsets.OffsetProvider.Procurement procure(@Valid @RequestBody Procure body) {
        callers.requireOperator();
        var procurement = procurements.procureOutstanding(body.tenantId(), body.productId(),
                body.beneficiary() == null ? null : body.beneficiary().trim());
        audit.record(AuditLog.Action.OFFSET_PROCUREMENT_PLACED, "offset-procurement", procurement.id());
        return procurement;
    }

    record SyncClimateProducts(@NotNull @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code such as USD")
            String currency) {
    }

    record SyncedProducts(int count, List<OffsetProduct> items) {
    }

    /** Operators: brings Stripe Climate's products into the catalog, priced per tonne in {@code currency}. */
    @PostMapping("/v1/operator/climate/products/sync")
    @RequiresScope(Scope.OPERATOR)
    SyncedProducts syncClimateProducts(@Valid @RequestBody SyncClimateProducts body) {
        callers.requireOperator();
        List<OffsetProduct> synced = climateCatalog.sync(currency(body.currency()));
        synced.forEach(p -> audit.record(AuditLog.Action.OFFSET_PRODUCTS_SYNCED, "offset-product", p.id()));
        return new SyncedProducts(synced.size(), synced);
    }

    static final int COVERAGE_MAX_DAYS = 732;

    /** The calling tenant's coverage of requests that ended in [from, to) (UTC dates; default: the last 90 days). */
    @GetMapping("/v1/offsets/coverage")
    @RequiresScope(Scope.READ)
    CoverageReport.Coverage coverage(@RequestParam(required = false) java.time.LocalDate from,
            @RequestParam(required = false) java.time.LocalDate to) {
        UUID tenant = callers.requireTenant();
        java.time.LocalDate end = to != null ? to
                : java.time.LocalDate.now(clock.withZone(java.time.ZoneOffset.UTC)).plusDays(1);
        java.time.LocalDate start = from != null ? from : end.minusDays(90);
        if (start.getYear() < 1970 || start.getYear() > 9999) {
            throw ApiProblem.invalid("from", "must be a day between 1970 and 9999");
        }
        if (end.getYear() < 1970 || end.getYear() > 9999) {
            throw ApiProblem.invalid("to", "must be a day between 1970 and 9999");
        }
        if (!end.isAfter(start)) {
            throw ApiProblem.invalid("to", "must be after from (" + start + "): the window is [from, to)");
        }
        if (java.time.temporal.ChronoUnit.DAYS.between(start, end) > COVERAGE_MAX_DAYS) {
            throw ApiProblem.invalid("from", "the window is at most " + COVERAGE_MAX_DAYS + " days");
        }
        return coverage.of(tenant, start, end);
    }
}
