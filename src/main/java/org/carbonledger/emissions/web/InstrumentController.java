package org.carbonledger.emissions.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;
import org.carbonledger.emissions.internal.Instruments;
import org.carbonledger.shared.CallerContext;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class InstrumentController {

    private final Instruments instruments;
    private final CallerContext callers;

    InstrumentController(Instruments instruments, CallerContext callers) {
        this.instruments = instruments;
        this.callers = callers;
    }

    record NewInstrument(@NotNull UUID tenantId,
            @NotBlank @Size(max = 100) String region,
            @NotNull LocalDate periodStart,
            @NotNull LocalDate periodEnd,
            @NotNull @DecimalMin(value = "0.0001") @DecimalMax("1")
            @Digits(integer = 1, fraction = 4, message = "at most 4 decimals") BigDecimal coverage,
            @NotNull @DecimalMin("0") @DecimalMax("9999.9999")
            @Digits(integer = 4, fraction = 4, message = "at most 4 decimals") BigDecimal gco2ePerKwh,
            @NotNull Instruments.Kind kind,
            @NotBlank @Size(max = 300) String reference) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.OPERATOR)
    @PostMapping("/v1/energy-instruments")
    @ResponseStatus(HttpStatus.CREATED)
    Instruments.Instrument add(@Valid @RequestBody NewInstrument body) {
        callers.requireOperator();
        return instruments.add(body.tenantId(), body.region().trim(), body.periodStart(), body.periodEnd(),
                body.coverage(), body.gco2ePerKwh(), body.kind(), body.reference().trim());
    }
}
