package org.carbonledger.offsets;

import org.carbonledger.shared.web.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The operator's offset inventory. */
@Service
public class OffsetLots {

    private final JdbcClient jdbc;
    private final Clock clock;

    OffsetLots(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public record NewLot(OffsetLot.Registry registry, String projectId, String projectName, OffsetLot.Kind kind,
            int vintage, String serialPrefix, long serialFirst, long serialLast, Money pricePerTonne) {
    }

    @Transactional
    public OffsetLot add(NewLot lot) {
        if (lot.serialLast() < lot.serialFirst()) {
            throw ApiProblem.invalid("serialLast", "serialLast " + lot.serialLast() + " is before serialFirst "
                    + lot.serialFirst());
        }
        jdbc.sql("select pg_advisory_xact_lock(hashtext(?))").param("offset-lot:" + lot.serialPrefix())
                .query(Object.class).single();
        boolean overlaps = jdbc.sql("""
                select exists (select 1 from offset_lots where serial_prefix = ?
                                  and serial_first <= ? and ? <= serial_last)""")
                .params(lot.serialPrefix(), lot.serialLast(), lot.serialFirst()).query(Boolean.class).single();
        if (overlaps) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Serials already held", "serials " + lot.serialPrefix() + "-"
                    + lot.serialFirst() + " to " + lot.serialLast() + " overlap a lot already in inventory",
                    "serialFirst");
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_lots (id, registry, project_id, project_name, kind, vintage, serial_prefix,
                                         serial_first, serial_last, price_per_tonne, currency, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, lot.registry().name(), lot.projectId(), lot.projectName(), lot.kind().name(),
                        lot.vintage(), lot.serialPrefix(), lot.serialFirst(), lot.serialLast(),
                        lot.pricePerTonne().amount(), lot.pricePerTonne().currency().getCurrencyCode(),
                        Timestamp.from(clock.instant()))
                .update();
        return get(id);
    }

    /** A page of the inventory, oldest lot first. */
    public PageRequest.Page<OffsetLot> list(PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from offset_lots where (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(java.sql.Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(OffsetLots::map).list(), l -> new PageRequest.Cursor(l.createdAt(), l.id()));
    }

    public OffsetLot get(UUID id) {
        return jdbc.sql("select * from offset_lots where id = ?").param(id).query(OffsetLots::map).optional()
                .orElseThrow(() -> ApiProblem.notFound("offset lot", id));
    }

    public static OffsetLot map(ResultSet rs, int n) throws SQLException {
        return new OffsetLot(rs.getObject("id", UUID.class), OffsetLot.Registry.valueOf(rs.getString("registry")),
                rs.getString("project_id"), rs.getString("project_name"), OffsetLot.Kind.valueOf(rs.getString("kind")),
                rs.getInt("vintage"), rs.getString("serial_prefix"), rs.getLong("serial_first"),
                rs.getLong("serial_last"), rs.getLong("retired_tonnes"), rs.getBigDecimal("price_per_tonne"),
                rs.getString("currency"), rs.getTimestamp("created_at").toInstant());
    }
}
