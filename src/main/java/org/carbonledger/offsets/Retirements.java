package org.carbonledger.offsets;

import org.carbonledger.shared.web.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Reads retirements: a tenant's, and those whose mass covers a given invoice's emissions. */
@Service
public class Retirements {

    private static final String SELECT = """
            select t.id, t.tenant_id, t.lot_id, l.registry, l.project_id, l.project_name, l.kind, l.vintage,
                   l.serial_prefix, t.serial_first, t.serial_last, t.registry_retirement_id, t.retired_at,
                   t.beneficiary, t.reason, t.source,
            """;

    private final JdbcClient jdbc;

    Retirements(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Retirements allocated to the emissions billed on an invoice, with the grams allocated to that invoice. */
    public List<Retirement> forInvoice(UUID tenantId, UUID invoiceId) {
        return jdbc.sql(SELECT + """
                       sum(a.co2e_grams) as grams
                  from offset_allocations a
                  join offset_retirements t on t.id = a.retirement_id
                  join offset_lots l on l.id = t.lot_id
                  join invoice_line_emissions b on b.emission_record_id = a.emission_record_id
                  join invoice_lines il on il.id = b.invoice_line_id
                 where il.invoice_id = ? and t.tenant_id = ?
                 group by t.id, l.id
                 order by t.retired_at, t.id""")
                .params(invoiceId, tenantId).query(Retirements::map).list();
    }

    /** All of a tenant's retirements with the grams allocated so far (the rest is the carried-forward balance). */
    public PageRequest.Page<Retirement> ofTenant(UUID tenantId, PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql(SELECT + """
                       coalesce((select sum(a.co2e_grams) from offset_allocations a where a.retirement_id = t.id), 0)
                         as grams
                  from offset_retirements t
                  join offset_lots l on l.id = t.lot_id
                 where t.tenant_id = ? and (t.retired_at, t.id) > (?, ?)
                 order by t.retired_at, t.id
                 limit ?""")
                .params(tenantId, java.sql.Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(Retirements::map).list(), r -> new PageRequest.Cursor(r.retiredAt(), r.id()));
    }

    /** One retirement with the grams allocated from it so far. */
    public Retirement get(UUID id) {
        return jdbc.sql(SELECT + """
                       coalesce((select sum(a.co2e_grams) from offset_allocations a where a.retirement_id = t.id), 0)
                         as grams
                  from offset_retirements t
                  join offset_lots l on l.id = t.lot_id
                 where t.id = ?""").param(id).query(Retirements::map).optional()
                .orElseThrow(() -> org.carbonledger.shared.web.ApiProblem.notFound("retirement", id));
    }

    /** For operators: every tenant's retirements, or one tenant's when {@code tenantId} is given, oldest first. */
    public PageRequest.Page<Retirement> all(UUID tenantId, PageRequest page) {
        if (tenantId != null) {
            return ofTenant(tenantId, page);
        }
        var after = page.ascendingAfter();
        return page.page(jdbc.sql(SELECT + """
                       coalesce((select sum(a.co2e_grams) from offset_allocations a where a.retirement_id = t.id), 0)
                         as grams
                  from offset_retirements t
                  join offset_lots l on l.id = t.lot_id
                 where (t.retired_at, t.id) > (?, ?)
                 order by t.retired_at, t.id
                 limit ?""")
                .params(java.sql.Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(Retirements::map).list(), r -> new PageRequest.Cursor(r.retiredAt(), r.id()));
    }

    private static Retirement map(ResultSet rs, int n) throws SQLException {
        long first = rs.getLong("serial_first");
        long last = rs.getLong("serial_last");
        String prefix = rs.getString("serial_prefix");
        String range = first == last ? prefix + "-" + first : prefix + "-" + first + " to " + prefix + "-" + last;
        return new Retirement(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getObject("lot_id", UUID.class),
                OffsetLot.Registry.valueOf(rs.getString("registry")), rs.getString("project_id"),
                rs.getString("project_name"), OffsetLot.Kind.valueOf(rs.getString("kind")), rs.getInt("vintage"),
                range, last - first + 1, rs.getString("registry_retirement_id"),
                rs.getTimestamp("retired_at").toInstant(), rs.getBigDecimal("grams"), rs.getString("beneficiary"),
                rs.getString("reason"), Retirement.Source.valueOf(rs.getString("source")));
    }
}
