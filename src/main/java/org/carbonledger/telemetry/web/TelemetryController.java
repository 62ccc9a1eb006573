package org.carbonledger.telemetry.web;

import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import java.util.List;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.telemetry.RequestIngest;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class TelemetryController {

    private final RequestIngest ingest;
    private final CallerContext callers;

    TelemetryController(RequestIngest ingest, CallerContext callers) {
        this.ingest = ingest;
        this.callers = callers;
    }

    record Batch(List<RequestIngest.Item> requests) {
    }

    @PostMapping(path = "/v1/telemetry/requests", consumes = MediaType.APPLICATION_JSON_VALUE)
    @RequiresScope(Scope.INGEST)
    RequestIngest.Result ingest(@RequestBody Batch batch) {
        return ingest.ingest(callers.requireTenant(), batch.requests(), "rest");
    }
}
