package org.carbonledger.emissions.web;

import org.carbonledger.emissions.internal.MeasuredAttribution;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Measured mode: the attribution run (operators, e.g. from a scheduler) and each tenant's window reconciliation. */
@RestController
class MeasurementController {

    private final MeasuredAttribution attribution;
    private final CallerContext callers;

    MeasurementController(MeasuredAttribution attribution, CallerContext callers) {
        this.attribution = attribution;
        this.callers = callers;
    }

    @RequiresScope(Scope.OPERATOR)
    @PostMapping("/v1/measurements/attribution-runs")
    MeasuredAttribution.RunResult run() {
        callers.requireOperator();
        return attribution.processClosedWindows();
    }

    @RequiresScope(Scope.READ)
    @GetMapping("/v1/measurements/windows")
    PageRequest.Page<MeasuredAttribution.Window> windows(@RequestParam(required = false) String nodeId,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        if (nodeId != null && (nodeId.isBlank() || nodeId.length() > 200)) {
            throw ApiProblem.invalid("nodeId", "1 to 200 characters");
        }
        return attribution.windows(callers.requireTenant(), nodeId, PageRequest.of(limit, cursor));
    }
}
