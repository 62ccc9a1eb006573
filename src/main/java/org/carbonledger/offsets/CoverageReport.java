package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * A tenant's coverage for requests that ended in a window: from the latest emission record of each request, what was
 * emitted, what retired credits cover (net allocations to any version of the request), what is pending (invoiced on
 * an invoice awaiting payment — credits are retired when it is paid) and what is uncovered (not invoiced yet, or paid
 * with no credits the tenant's policy allows left). Location- and market-based; allocations are made against the
 * location-based mass, and on the market basis a record counts as covered up to its market-based mass.
 */
@Service
public class CoverageReport {

    /** Grams of one basis; {@code emitted = covered + pending + uncovered}. */
    public record Figures(BigDecimal emittedGrams, BigDecimal coveredGrams, BigDecimal pendingGrams,
            BigDecimal uncoveredGrams) {
    }

    public record Coverage(LocalDate from, LocalDate to, long requests, Figures locationBased, Figures marketBased) {
    }

    private final JdbcClient jdbc;

    CoverageReport(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Coverage of(UUID tenantId, LocalDate from, LocalDate to) {
        return jdbc.sql("""
                with latest as (
                    select e.inference_request_id, e.co2e_grams_location as loc, e.co2e_grams_market as mkt
                      from emission_records e
                      join inference_requests r on r.id = e.inference_request_id
                     where e.tenant_id = ? and r.ended_at >= ? and r.ended_at < ?
                       and e.version = (select max(v.version) from emission_records v
                                         where v.inference_request_id = e.inference_request_id)),
                figures as (
                    select l.loc, l.mkt,
                           least(l.loc, greatest(0, coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                                join emission_records v on v.id = a.emission_record_id
                                                               where v.inference_request_id = l.inference_request_id),
                                                             0))) as covered,
                           exists (select 1 from emission_records v
                                     join invoice_line_emissions b on b.emission_record_id = v.id
                                     join invoice_lines il on il.id = b.invoice_line_id
                                     join invoices i on i.id = il.invoice_id
                                    where v.inference_request_id = l.inference_request_id
                                      and i.status in ('OPEN', 'FINALIZED', 'PAYMENT_FAILED')) as awaiting
                      from latest l)
                select count(*),
                       coalesce(sum(loc), 0), coalesce(sum(covered), 0),
                       coalesce(sum(case when awaiting then loc - covered else 0 end), 0),
                       coalesce(sum(mkt), 0), coalesce(sum(least(mkt, covered)), 0),
                       coalesce(sum(case when awaiting then mkt - least(mkt, covered) else 0 end), 0)
                  from figures""")
                .params(tenantId, Timestamp.from(from.atStartOfDay(ZoneOffset.UTC).toInstant()),
                        Timestamp.from(to.atStartOfDay(ZoneOffset.UTC).toInstant()))
                .query((rs, n) -> new Coverage(from, to, rs.getLong(1),
                        figures(rs.getBigDecimal(2), rs.getBigDecimal(3), rs.getBigDecimal(4)),
                        figures(rs.getBigDecimal(5), rs.getBigDecimal(6), rs.getBigDecimal(7))))
                .single();
    }

    private static Figures figures(BigDecimal emitted, BigDecimal covered, BigDecimal pending) {
        return new Figures(emitted, covered, pending, emitted.subtract(covered).subtract(pending));
    }
}
