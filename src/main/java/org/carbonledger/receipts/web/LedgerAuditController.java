package org.carbonledger.receipts.web;

import org.carbonledger.receipts.Audit;
import org.carbonledger.shared.CallerContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Operator: re-derive every total and check the conservation invariants (the same audit as carbonledger audit). */
@RestController
class LedgerAuditController {

    private final Audit audit;
    private final CallerContext callers;

    LedgerAuditController(Audit audit, CallerContext callers) {
        this.audit = audit;
        this.callers = callers;
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.OPERATOR)
    @GetMapping("/v1/audit")
    Audit.Report audit() {
        callers.requireOperator();
        return audit.run();
    }
}
