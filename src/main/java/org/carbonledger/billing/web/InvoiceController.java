package org.carbonledger.billing.web;

import org.springframework.web.bind.annotation.RequestParam;
import org.carbonledger.shared.audit.AuditLog;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Size;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.UUID;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.Invoices;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class InvoiceController {

    private final Invoices invoices;
    private final CallerContext callers;
    private final AuditLog audit;

    InvoiceController(Invoices invoices, CallerContext callers, AuditLog audit) {
        this.invoices = invoices;
        this.callers = callers;
        this.audit = audit;
    }

    /** {@code period} for monthly billing, {@code periodStart} for N-day periods. */
    record ClosePeriod(YearMonth period, LocalDate periodStart) {
    }

    record PayOffline(@Size(max = 200) String reference) {
    }

    /** 201 with the new invoice, or 200 with the existing one when the period was closed before. */
    @PostMapping("/v1/billing/periods/close")
    @ApiResponse(responseCode = "201", description = "The new invoice")
    @ApiResponse(responseCode = "200", description = "The period was closed before; its invoice")
    @RequiresScope(Scope.BILLING_ADMIN)
    ResponseEntity<Invoice> close(@Valid @RequestBody ClosePeriod body) {
        UUID tenantId = callers.requireTenant();
        if ((body.period() == null) == (body.periodStart() == null)) {
            throw ApiProblem.invalid("period", "is required, e.g. 2026-10 (or periodStart, e.g. 2026-10-05, for "
                    + "periods of N days), not both");
        }
        var closed = invoices.close(tenantId, body.period() != null ? body.period().atDay(1) : body.periodStart());
        if (closed.created()) {
            audit.record(AuditLog.Action.BILLING_PERIOD_CLOSED, "invoice", closed.invoice().id());
        }
        return ResponseEntity.status(closed.created() ? HttpStatus.CREATED : HttpStatus.OK).body(closed.invoice());
    }

    @GetMapping("/v1/invoices")
    @RequiresScope(Scope.READ)
    PageRequest.Page<Invoice> list(@RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return invoices.list(callers.requireTenant(), PageRequest.of(limit, cursor));
    }

    @GetMapping("/v1/invoices/{id}")
    @RequiresScope(Scope.READ)
    Invoice get(@PathVariable UUID id) {
        return invoices.get(callers.requireTenant(), id);
    }

    /** Records an offline payment (no payment provider configured). */
    @PostMapping("/v1/invoices/{id}/payments")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.BILLING_ADMIN)
    Invoice pay(@PathVariable UUID id, @Valid @RequestBody(required = false) PayOffline body) {
        Invoice paid = invoices.payOffline(callers.requireTenant(), id, body == null ? null : body.reference());
        audit.record(AuditLog.Action.INVOICE_PAID, "invoice", paid.id());
        return paid;
    }
}
