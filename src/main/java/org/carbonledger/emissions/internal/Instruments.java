package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;
import org.carbonledger.emissions.GridFactors;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Contractual instruments (PPAs, energy attribute certificates, green tariffs) of a tenant for a region and period,
 * with the share of the tenant's electricity there they cover. Used for market-based CO2e of requests metered from
 * then on.
 */
@Service
public class Instruments {

    public enum Kind { PPA, EAC, GREEN_TARIFF }

    public record Instrument(UUID id, UUID tenantId, String region, LocalDate periodStart, LocalDate periodEnd,
            BigDecimal coverage, BigDecimal gco2ePerKwh, Kind kind, String reference, Instant createdAt) {
    }

    private final JdbcClient jdbc;
    private final GridFactors factors;
    private final Clock clock;

    Instruments(JdbcClient jdbc, GridFactors factors, Clock clock) {
        this.jdbc = jdbc;
        this.factors = factors;
        this.clock = clock;
    }

    @Transactional
    public Instrument add(UUID tenantId, String region, LocalDate periodStart, LocalDate periodEnd,
            BigDecimal coverage, BigDecimal gco2ePerKwh, Kind kind, String reference) {
        // locks the tenant: concurrent registrations for it cannot both pass the coverage check
        boolean tenantExists = jdbc.sql("select id from tenants where id = ? for update").param(tenantId)
                .query(UUID.class).optional().isPresent();
        if (!tenantExists) {
            throw ApiProblem.invalid("tenantId", "no tenant " + tenantId);
        }
        String canonical = factors.canonical(region)
                .orElseThrow(() -> ApiProblem.invalid("region", "unknown region '" + region + "'"));
        if (!periodEnd.isAfter(periodStart)) {
            throw ApiProblem.invalid("periodEnd", "must be after periodStart");
        }
        // the most the tenant's existing instruments cover on any day of the period: the maximum is reached on the
        // period's first day or on the first day of an instrument starting inside it
        BigDecimal overlapping = jdbc.sql("""
                select coalesce(max((select coalesce(sum(o.coverage), 0) from energy_attribute_instruments o
                                      where o.tenant_id = ? and o.region = ?
                                        and o.period_start <= d.day and o.period_end > d.day)), 0)
                  from (select ?::date as day
                        union select period_start from energy_attribute_instruments
                               where tenant_id = ? and region = ? and period_start > ? and period_start < ?) d""")
                .params(tenantId, canonical, periodStart, tenantId, canonical, periodStart, periodEnd)
                .query(BigDecimal.class).single();
        if (overlapping.add(coverage).compareTo(BigDecimal.ONE) > 0) {
            throw ApiProblem.conflict("instruments of tenant " + tenantId + " in " + canonical + " would cover "
                    + overlapping.add(coverage).stripTrailingZeros().toPlainString()
                    + " of its electricity in that period: at most 1");
        }
        Instrument instrument = new Instrument(UUID.randomUUID(), tenantId, canonical, periodStart, periodEnd,
                coverage, gco2ePerKwh, kind, reference, clock.instant());
        jdbc.sql("""
                insert into energy_attribute_instruments (id, tenant_id, region, period_start, period_end, coverage,
                    gco2e_per_kwh, kind, reference, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(instrument.id(), tenantId, canonical, periodStart, periodEnd, coverage, gco2ePerKwh,
                        kind.name(), reference, Timestamp.from(instrument.createdAt()))
                .update();
        return instrument;
    }
}
