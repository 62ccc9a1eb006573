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
 * an invoice awaiting payment — credits are retired when it is paid — or earmarked by a Stripe Climate order not
 * delivered yet) and what is uncovered (not invoiced yet, or paid with no credits the tenant's policy allows left
 * and none ordered). Delivered orders count as covered. Orders touching the window's records that were delayed,
 * had their product substituted or were canceled are listed as notices. Location- and market-based; allocations are made against the
 * location-based mass, and on the market basis a record counts as covered up to its market-based mass.
 */
@Service
public class CoverageReport {

    /**
     * Grams of one basis; {@code emitted = covered + pending + uncovered}; {@code pendingDeliveryGrams} is the part
     * of pending ordered from Stripe Climate and not delivered yet.
     */
    public record Figures(BigDecimal emittedGrams, BigDecimal coveredGrams, BigDecimal pendingGrams,
            BigDecimal pendingDeliveryGrams, BigDecimal uncoveredGrams) {
    }

    /** A flag on a climate order that touched the window's records: DELAYED, PRODUCT_SUBSTITUTED or CANCELED. */
    public record Notice(UUID climateOrderId, String stripeOrderId, String kind, String detail,
            java.time.Instant at) {
    }

    public record Coverage(LocalDate from, LocalDate to, long requests, Figures locationBased, Figures marketBased,
            java.util.List<Notice> notices) {
    }

    private final JdbcClient jdbc;

    CoverageReport(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String LATEST = """
            with latest as (
                select e.inference_request_id, e.co2e_grams_location as loc, e.co2e_grams_market as mkt
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                 where e.tenant_id = ? and r.ended_at >= ? and r.ended_at < ?
                   and e.version = (select max(v.version) from emission_records v
                                     where v.inference_request_id = e.inference_request_id))
            """;

    public Coverage of(UUID tenantId, LocalDate from, LocalDate to) {
        Timestamp start = Timestamp.from(from.atStartOfDay(ZoneOffset.UTC).toInstant());
        Timestamp end = Timestamp.from(to.atStartOfDay(ZoneOffset.UTC).toInstant());
        java.util.List<Notice> notices = jdbc.sql(LATEST + """
                select o.id, o.stripe_order_id, n.kind, n.detail, n.created_at
                  from climate_order_notices n
                  join climate_orders o on o.id = n.order_id
                 where exists (select 1 from climate_order_earmarks m
                                 join emission_records v on v.id = m.emission_record_id
                                 join latest l on l.inference_request_id = v.inference_request_id
                                where m.order_id = o.id)
                   and o.tenant_id = ?
                 order by n.created_at, o.id, n.kind""")
                .params(tenantId, start, end, tenantId)
                .query((rs, n) -> new Notice(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getTimestamp(5).toInstant()))
                .list();
        return jdbc.sql(LATEST + """
                , claims as (
                    select l.loc, l.mkt,
                           least(l.loc, greatest(0,
                                 coalesce((select sum(a.co2e_grams) from offset_allocations a
                                             join emission_records v on v.id = a.emission_record_id
                                            where v.inference_request_id = l.inference_request_id), 0)
                               + coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                                             join emission_records v on v.id = m.emission_record_id
                                            where v.inference_request_id = l.inference_request_id
                                              and m.status = 'RETIRED'), 0))) as covered,
                           coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                                       join emission_records v on v.id = m.emission_record_id
                                      where v.inference_request_id = l.inference_request_id
                                        and m.status = 'PENDING'), 0) as earmarked,
                           exists (select 1 from emission_records v
                                     join invoice_line_emissions b on b.emission_record_id = v.id
                                     join invoice_lines il on il.id = b.invoice_line_id
                                     join invoices i on i.id = il.invoice_id
                                    where v.inference_request_id = l.inference_request_id
                                      and i.status in ('OPEN', 'FINALIZED', 'PAYMENT_FAILED')) as awaiting
                      from latest l),
                figures as (
                    select loc, mkt, awaiting, covered, least(loc - covered, earmarked) as ordered,
                           least(mkt, covered) as mkt_covered,
                           least(mkt - least(mkt, covered), earmarked) as mkt_ordered
                      from claims)
                select count(*),
                       coalesce(sum(loc), 0), coalesce(sum(covered), 0),
                       coalesce(sum(ordered + case when awaiting then loc - covered - ordered else 0 end), 0),
                       coalesce(sum(ordered), 0),
                       coalesce(sum(mkt), 0), coalesce(sum(mkt_covered), 0),
                       coalesce(sum(mkt_ordered + case when awaiting then mkt - mkt_covered - mkt_ordered else 0 end),
                                0),
                       coalesce(sum(mkt_ordered), 0)
                  from figures""")
                .params(tenantId, start, end)
                .query((rs, n) -> new Coverage(from, to, rs.getLong(1),
                        figures(rs.getBigDecimal(2), rs.getBigDecimal(3), rs.getBigDecimal(4), rs.getBigDecimal(5)),
                        figures(rs.getBigDecimal(6), rs.getBigDecimal(7), rs.getBigDecimal(8), rs.getBigDecimal(9)),
                        notices))
                .single();
    }

    private static Figures figures(BigDecimal emitted, BigDecimal covered, BigDecimal pending,
            BigDecimal pendingDelivery) {
        return new Figures(emitted, covered, pending, pendingDelivery, emitted.subtract(covered).subtract(pending));
    }
}
