package org.carbonledger.emissions.web;

import java.time.Instant;
import org.carbonledger.emissions.internal.GridSignalSync;
import org.carbonledger.emissions.internal.HourlyFactorImport;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.RequiresScope;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Operators pull grid signals from Electricity Maps (hourly averages) and WattTime (marginal MOER). */
@RestController
class GridSignalController {

    private final GridSignalSync sync;
    private final CallerContext callers;

    GridSignalController(GridSignalSync sync, CallerContext callers) {
        this.sync = sync;
        this.callers = callers;
    }

    @RequiresScope(Scope.OPERATOR)
    @PostMapping("/v1/grid-signals/electricity-maps/syncs")
    HourlyFactorImport.SignalImportResult electricityMaps(@RequestParam String region, @RequestParam String zone) {
        callers.requireOperator();
        return sync.electricityMaps(text("region", region), text("zone", zone));
    }

    @RequiresScope(Scope.OPERATOR)
    @PostMapping("/v1/grid-signals/watttime/syncs")
    GridSignalSync.MarginalSyncResult wattTime(@RequestParam String region, @RequestParam String wattTimeRegion,
            @RequestParam Instant start, @RequestParam Instant end) {
        callers.requireOperator();
        return sync.wattTime(text("region", region), text("wattTimeRegion", wattTimeRegion), start, end);
    }

    private static String text(String field, String value) {
        if (value.isBlank() || value.length() > 100) {
            throw ApiProblem.invalid(field, "1 to 100 characters");
        }
        return value.trim();
    }
}
