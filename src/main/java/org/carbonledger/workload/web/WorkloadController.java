package org.carbonledger.workload.web;

import org.springframework.web.bind.annotation.RequestParam;
import org.carbonledger.shared.web.PageRequest;
import org.carbonledger.shared.web.RequiresScope;
import org.carbonledger.shared.Scope;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.util.UUID;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class WorkloadController {

    private final Workloads workloads;
    private final CallerContext callers;

    WorkloadController(Workloads workloads, CallerContext callers) {
        this.workloads = workloads;
        this.callers = callers;
    }

    record CreateWorkload(@NotBlank @Size(max = 200) String name,
            @NotBlank @Size(max = 200) String model,
            @DecimalMin(value = "0.001", message = "must be positive")
            @Digits(integer = 7, fraction = 3, message = "at most 7 digits and 3 decimals") BigDecimal modelParamsBillion,
            @NotBlank @Size(max = 100) String gpuModel,
            @NotNull @Min(1) @Max(4096) Integer gpuCount,
            @NotBlank @Size(max = 100) String region,
            @DecimalMin("1.0") @DecimalMax(value = "3.0", inclusive = false)
            @Digits(integer = 1, fraction = 3, message = "at most 3 decimals") BigDecimal pue,
            java.time.Instant servingSince) {
    }

    @PostMapping("/v1/workloads")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.INGEST)
    Workload create(@Valid @RequestBody CreateWorkload body) {
        UUID tenant = callers.requireTenant();
        return workloads.register(tenant, new Workloads.Registration(body.name().trim(), body.model().trim(),
                body.modelParamsBillion(), body.gpuModel().trim(), body.gpuCount(), body.region().trim(),
                body.pue(), body.servingSince()));
    }

    @GetMapping("/v1/workloads")
    @RequiresScope(Scope.READ)
    PageRequest.Page<Workload> list(@RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return workloads.list(callers.requireTenant(), PageRequest.of(limit, cursor));
    }

    @GetMapping("/v1/workloads/{id}")
    @RequiresScope(Scope.READ)
    Workload get(@PathVariable UUID id) {
        return workloads.find(callers.requireTenant(), id).orElseThrow(() -> ApiProblem.notFound("workload", id));
    }
}
