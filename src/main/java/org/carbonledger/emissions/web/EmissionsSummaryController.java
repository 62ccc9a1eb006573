package org.carbonledger.emissions.web;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import org.carbonledger.emissions.EmissionsSummary;
import org.carbonledger.shared.CallerContext;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class EmissionsSummaryController {

    static final int DEFAULT_DAYS = 90;
    static final int MAX_DAYS = 732;

    private final EmissionsSummary summary;
    private final CallerContext callers;
    private final Clock clock;

    EmissionsSummaryController(EmissionsSummary summary, CallerContext callers, Clock clock) {
        this.summary = summary;
        this.callers = callers;
        this.clock = clock;
    }

    /** The summary: its window ({@code from} inclusive, {@code to} exclusive, UTC dates) and rows. */
    record Summary(LocalDate from, LocalDate to, String granularity, List<EmissionsSummary.Row> rows) {
    }

    @org.carbonledger.shared.web.RequiresScope(org.carbonledger.shared.Scope.READ)
    @GetMapping("/v1/emissions/summary")
    Summary summary(@RequestParam(required = false) LocalDate from, @RequestParam(required = false) LocalDate to,
            @RequestParam(defaultValue = "day") String granularity) {
        EmissionsSummary.Granularity unit;
        try {
            unit = EmissionsSummary.Granularity.valueOf(granularity.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid("granularity", "'" + granularity + "' is not a granularity: day or month");
        }
        LocalDate end = to != null ? to : LocalDate.now(clock.withZone(ZoneOffset.UTC)).plusDays(1);
        LocalDate start = from != null ? from : end.minusDays(DEFAULT_DAYS);
        if (!start.isBefore(end)) {
            throw ApiProblem.invalid("to", "must be after from (" + start + "): the window is [from, to)");
        }
        if (ChronoUnit.DAYS.between(start, end) > MAX_DAYS) {
            throw ApiProblem.invalid("from", "the window is at most " + MAX_DAYS + " days");
        }
        return new Summary(start, end, unit.name().toLowerCase(Locale.ROOT),
                summary.of(callers.requireTenant(), start, end, unit));
    }
}
