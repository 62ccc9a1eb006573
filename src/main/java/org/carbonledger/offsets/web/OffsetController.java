package org.carbonledger.offsets.web;

import org.springframework.web.bind.annotation.RequestParam;
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
    private final Retirements retirements;
    private final CallerContext callers;
    private final AuditLog audit;

    OffsetController(OffsetLots lots, Retirements retirements, CallerContext callers, AuditLog audit) {
        this.lots = lots;
        this.retirements = retirements;
        this.callers = callers;
        this.audit = audit;
    }

    record CreateLot(@NotNull OffsetLot.Registry registry,
            @NotBlank @Size(max = 100) String projectId,
            @NotBlank @Size(max = 300) String projectName,
            @NotNull OffsetLot.Kind kind,
            @NotNull @Min(1990) @Max(2100) Integer vintage,
            @NotBlank @Size(max = 100) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._/-]*",
                    message = "letters, digits and . _ / - only") String serialPrefix,
            @NotNull @Min(0) Long serialFirst,
            @NotNull @Min(0) Long serialLast,
            @NotNull @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 15, fraction = 4, message = "at most 15 digits and 4 decimals") BigDecimal pricePerTonne,
            @NotNull @Pattern(regexp = "[A-Z]{3}", message = "must be an ISO 4217 code such as USD") String currency) {
    }

    @PostMapping("/v1/offsets/lots")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    OffsetLot create(@Valid @RequestBody CreateLot body) {
        callers.requireOperator();
        Money price;
        try {
            price = Money.of(body.pricePerTonne(), body.currency());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("currency",
                    "'" + body.currency() + "' is not an ISO 4217 currency");
        }
        OffsetLot lot = lots.add(new OffsetLots.NewLot(body.registry(), body.projectId().trim(),
                body.projectName().trim(), body.kind(), body.vintage(), body.serialPrefix(), body.serialFirst(),
                body.serialLast(), price));
        audit.record(AuditLog.Action.OFFSET_LOT_CREATED, "offset-lot", lot.id());
        return lot;
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
}
