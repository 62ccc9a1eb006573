package org.carbonledger.shared.audit;

import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class AuditController {

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/v1/audit-events")
    @RequiresScope(Scope.OPERATOR)
    PageRequest.Page<AuditLog.Event> list(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        return audit.list(PageRequest.of(limit, cursor));
    }
}
