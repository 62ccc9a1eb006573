package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * A tenant's emissions aggregated per period (UTC day or month of {@code ended_at}) and workload, from the latest
 * version of each request's emission record, with the grams already invoiced and the grams allocated to retired
 * offset credits. A read across module tables (decision 0014): the charts of the dashboard are one query.
 */
@Service
public class EmissionsSummary {

    public enum Granularity { DAY, MONTH }

    /** One period and workload: what was metered, what it emitted, and how much of it is invoiced and covered. */
    public record Row(LocalDate periodStart, UUID workloadId, String workloadName, String model, long requestCount,
            BigDecimal energyJoules, BigDecimal co2eGramsLocationBased, BigDecimal co2eGramsMarketBased,
            BigDecimal co2eGramsInvoiced, BigDecimal co2eGramsAllocated) {
    }

    private final JdbcClient jdbc;

    EmissionsSummary(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Requests that ended in {@code [from, to)} (UTC dates), grouped per period and workload, oldest first. */
    public List<Row> of(UUID tenantId, LocalDate from, LocalDate to, Granularity granularity) {
        String unit = granularity == Granularity.DAY ? "day" : "month";
        return jdbc.sql("""
                with latest as (
                    select distinct on (e.inference_request_id) e.id, e.inference_request_id, e.energy_joules,
                           e.co2e_grams_location, e.co2e_grams_market
                      from emission_records e
                      join inference_requests r on r.id = e.inference_request_id
                     where e.tenant_id = :tenant and r.tenant_id = :tenant
                       and r.ended_at >= :from and r.ended_at < :to
                     order by e.inference_request_id, e.version desc)
                select date_trunc(:unit, r.ended_at at time zone 'UTC')::date as period_start,
                       w.id as workload_id, w.name, w.model, count(*) as requests,
                       sum(l.energy_joules) as energy, sum(l.co2e_grams_location) as location,
                       sum(l.co2e_grams_market) as market,
                       coalesce(sum(case when b.emission_record_id is not null then l.co2e_grams_location end), 0)
                         as invoiced,
                       coalesce(sum((select sum(a.co2e_grams) from offset_allocations a
                                       where a.emission_record_id = l.id)), 0) as allocated
                  from latest l
                  join inference_requests r on r.id = l.inference_request_id
                  join workloads w on w.id = r.workload_id
                  left join invoice_line_emissions b on b.emission_record_id = l.id
                 group by 1, w.id, w.name, w.model
                 order by 1, w.name, w.id""")
                .param("tenant", tenantId)
                .param("from", from.atStartOfDay(java.time.ZoneOffset.UTC).toOffsetDateTime())
                .param("to", to.atStartOfDay(java.time.ZoneOffset.UTC).toOffsetDateTime())
                .param("unit", unit)
                .query((rs, n) -> new Row(rs.getObject("period_start", LocalDate.class),
                        rs.getObject("workload_id", UUID.class), rs.getString("name"), rs.getString("model"),
                        rs.getLong("requests"), rs.getBigDecimal("energy"), rs.getBigDecimal("location"),
                        rs.getBigDecimal("market"), rs.getBigDecimal("invoiced"), rs.getBigDecimal("allocated")))
                .list();
    }
}
