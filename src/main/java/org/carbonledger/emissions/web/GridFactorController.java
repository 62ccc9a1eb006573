package org.carbonledger.emissions.web;

import org.carbonledger.emissions.internal.HourlyFactorImport;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class GridFactorController {

    private final HourlyFactorImport imports;
    private final CallerContext callers;

    GridFactorController(HourlyFactorImport imports, CallerContext callers) {
        this.imports = imports;
        this.callers = callers;
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.OPERATOR)
    @PostMapping(path = "/v1/emission-factors/hourly", consumes = "text/csv")
    HourlyFactorImport.HourlyImportResult importHourly(@RequestBody String csv,
            @RequestParam String datasetVersion, @RequestParam String source,
            @RequestParam(required = false) String sourceReference, @RequestParam String status) {
        callers.requireOperator();
        if (datasetVersion.isBlank() || datasetVersion.length() > 100) {
            throw ApiProblem.invalid("datasetVersion", "1 to 100 characters");
        }
        if (source.isBlank() || source.length() > 300) {
            throw ApiProblem.invalid("source", "1 to 300 characters");
        }
        if (sourceReference != null && sourceReference.length() > 1000) {
            throw ApiProblem.invalid("sourceReference", "at most 1000 characters");
        }
        HourlyFactorImport.Status s;
        try {
            s = HourlyFactorImport.Status.valueOf(status);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("status", "ESTIMATED or FINAL");
        }
        return imports.importCsv(csv, datasetVersion.trim(), source.trim(),
                sourceReference == null || sourceReference.isBlank() ? "" : sourceReference.trim(), s);
    }
}
