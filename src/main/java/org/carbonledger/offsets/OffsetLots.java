package org.carbonledger.offsets;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The operator's offset inventory: lots of catalog products, added one by one or imported from CSV all-or-nothing. */
@Service
public class OffsetLots {

    static final int MAX_IMPORT_ROWS = 1000;
    static final List<String> CSV_COLUMNS = List.of("registry", "project_id", "vintage", "serial_block",
            "serial_prefix", "serial_first", "serial_last", "price_per_tonne", "currency");

    private final JdbcClient jdbc;
    private final OffsetProducts products;
    private final Clock clock;

    OffsetLots(JdbcClient jdbc, OffsetProducts products, Clock clock) {
        this.jdbc = jdbc;
        this.products = products;
        this.clock = clock;
    }

    /**
     * A lot to add: its product by registry and project id, and its serials either as the registry's block
     * ({@code serialBlock}, parsed) or as an explicit range ({@code serialPrefix}, {@code serialFirst},
     * {@code serialLast}). {@code vintage} may be left out with a block (the block states it).
     */
    public record NewLot(OffsetLot.Registry registry, String projectId, Integer vintage, String serialBlock,
            String serialPrefix, Long serialFirst, Long serialLast, Money pricePerTonne) {
    }

    @Transactional
    public OffsetLot add(NewLot lot) {
        return add(lot, "");
    }

    /** Adds every row of the CSV or none: the first bad row is answered naming its line and column. */
    @Transactional
    public List<OffsetLot> importCsv(String csv) {
        if (csv == null || csv.isBlank()) {
            throw ApiProblem.invalid("body", "a lot import needs a header and at least one row");
        }
        List<OffsetLot> added = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW).get();
        try (CSVParser parser = format.parse(new StringReader(csv))) {
            for (String column : List.of("registry", "project_id", "price_per_tonne", "currency")) {
                if (!parser.getHeaderMap().containsKey(column)) {
                    throw ApiProblem.invalid("body", "missing column " + column + " (columns: "
                            + String.join(",", CSV_COLUMNS) + ")");
                }
            }
            for (CSVRecord r : parser) {
                if (added.size() == MAX_IMPORT_ROWS) {
                    throw ApiProblem.invalid("body", "at most " + MAX_IMPORT_ROWS + " lots per import");
                }
                String at = "lines[" + (r.getRecordNumber() + 1) + "].";
                added.add(add(row(r, at), at));
            }
        } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            throw ApiProblem.invalid("body", "not readable as CSV: " + e.getMessage());
        }
        if (added.isEmpty()) {
            throw ApiProblem.invalid("body", "a lot import needs a header and at least one row");
        }
        return added;
    }

    private static NewLot row(CSVRecord r, String at) {
        OffsetLot.Registry registry;
        try {
            registry = OffsetLot.Registry.valueOf(value(r, "registry"));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiProblem.invalid(at + "registry", "must be one of VERRA, GOLD_STANDARD, PURO_EARTH, OTHER");
        }
        String projectId = value(r, "project_id");
        if (projectId == null) {
            throw ApiProblem.invalid(at + "project_id", "must not be empty");
        }
        BigDecimal price = number(r, "price_per_tonne", at);
        if (price == null || price.signum() < 0 || price.scale() > 4 || price.precision() - price.scale() > 15) {
            throw ApiProblem.invalid(at + "price_per_tonne", "a price ≥ 0 with at most 15 digits and 4 decimals");
        }
        Money money;
        try {
            money = Money.of(price, value(r, "currency"));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiProblem.invalid(at + "currency", "must be an ISO 4217 code such as USD");
        }
        BigDecimal vintage = number(r, "vintage", at);
        BigDecimal first = number(r, "serial_first", at);
        BigDecimal last = number(r, "serial_last", at);
        return new NewLot(registry, projectId, vintage == null ? null : intOf(vintage, at + "vintage"),
                value(r, "serial_block"), value(r, "serial_prefix"),
                first == null ? null : longOf(first, at + "serial_first"),
                last == null ? null : longOf(last, at + "serial_last"), money);
    }

    private static String value(CSVRecord r, String column) {
        return r.isMapped(column) && r.isSet(column) && !r.get(column).isBlank() ? r.get(column) : null;
    }

    private static BigDecimal number(CSVRecord r, String column, String at) {
        String v = value(r, column);
        try {
            return v == null ? null : new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw ApiProblem.invalid(at + column, "'" + v + "' is not a number");
        }
    }

    private static int intOf(BigDecimal v, String field) {
        try {
            return v.intValueExact();
        } catch (ArithmeticException e) {
            throw ApiProblem.invalid(field, "must be a whole number");
        }
    }

    private static long longOf(BigDecimal v, String field) {
        try {
            return v.longValueExact();
        } catch (ArithmeticException e) {
            throw ApiProblem.invalid(field, "must be a whole number");
        }
    }

    private OffsetLot add(NewLot lot, String at) {
        boolean csv = !at.isEmpty();
        String fBlock = at + (csv ? "serial_block" : "serialBlock");
        String fPrefix = at + (csv ? "serial_prefix" : "serialPrefix");
        String fFirst = at + (csv ? "serial_first" : "serialFirst");
        String fLast = at + (csv ? "serial_last" : "serialLast");
        String fProject = at + (csv ? "project_id" : "projectId");
        OffsetProduct product = products.find(lot.registry(), lot.projectId()).orElseThrow(() -> ApiProblem.invalid(
                fProject, "unknown project: " + lot.registry() + " project " + lot.projectId()
                        + " is not in the offset product catalog (add it with POST /v1/offsets/products)"));
        String prefix;
        long first;
        long last;
        int vintage;
        String blockText = null;
        if (lot.serialBlock() != null) {
            if (lot.serialPrefix() != null || lot.serialFirst() != null || lot.serialLast() != null) {
                throw ApiProblem.invalid(fBlock, "give either a serial block or serialPrefix, serialFirst and "
                        + "serialLast, not both");
            }
            SerialBlock block;
            try {
                block = SerialBlock.parse(lot.registry(), lot.serialBlock());
            } catch (SerialBlock.Malformed e) {
                throw ApiProblem.invalid(fBlock, e.getMessage());
            }
            if (!sameProject(lot.registry(), block.projectId(), product.projectId())) {
                throw ApiProblem.invalid(fBlock, "the block is of project " + block.projectId() + ", not of "
                        + product.projectId());
            }
            if (product.country() != null && !product.country().equals(block.country())) {
                throw ApiProblem.invalid(fBlock, "the block is of country " + block.country() + ", the project of "
                        + product.country());
            }
            if (lot.vintage() != null && lot.vintage() != block.vintage()) {
                throw ApiProblem.invalid(at + "vintage", "the block's vintage is " + block.vintage() + ", not "
                        + lot.vintage());
            }
            prefix = block.prefix();
            first = block.first();
            last = block.last();
            vintage = block.vintage();
            blockText = block.text();
        } else {
            if (lot.serialPrefix() == null || !lot.serialPrefix().matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")) {
                throw ApiProblem.invalid(fPrefix, "a serial prefix (letters, digits and . _ / -, at most 100) or a "
                        + "serial block is required");
            }
            if (lot.serialFirst() == null || lot.serialFirst() < 0) {
                throw ApiProblem.invalid(fFirst, "a first serial ≥ 0 is required");
            }
            if (lot.serialLast() == null || lot.serialLast() == Long.MAX_VALUE) {
                throw ApiProblem.invalid(fLast, "a last serial below " + Long.MAX_VALUE + " is required");
            }
            if (lot.serialLast() < lot.serialFirst()) {
                throw ApiProblem.invalid(fLast, "serialLast " + lot.serialLast() + " is before serialFirst "
                        + lot.serialFirst());
            }
            if (lot.vintage() == null) {
                throw ApiProblem.invalid(at + "vintage", "is required without a serial block");
            }
            prefix = lot.serialPrefix();
            first = lot.serialFirst();
            last = lot.serialLast();
            vintage = lot.vintage();
        }
        if (vintage < 1990 || vintage > 2100) {
            throw ApiProblem.invalid(at + "vintage", "must be between 1990 and 2100");
        }
        jdbc.sql("select pg_advisory_xact_lock(hashtext(?))").param("offset-lot:" + prefix)
                .query(Object.class).single();
        var held = jdbc.sql("""
                select coalesce(serial_block, serial_prefix || '-' || serial_first || '-' || serial_last)
                  from offset_lots where serial_prefix = ? and serial_first <= ? and ? <= serial_last limit 1""")
                .params(prefix, last, first).query(String.class).optional();
        if (held.isPresent()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Serials already held", "serials " + prefix + "-" + first
                    + " to " + last + " overlap the lot " + held.get() + " already in inventory",
                    blockText != null ? fBlock : fFirst);
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_lots (id, product_id, registry, project_id, project_name, kind, vintage,
                                         serial_prefix, serial_first, serial_last, serial_block, price_per_tonne,
                                         currency, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, product.id(), product.registry().name(), product.projectId(), product.name(),
                        product.kind().name(), vintage, prefix, first, last, blockText,
                        lot.pricePerTonne().amount(), lot.pricePerTonne().currency().getCurrencyCode(),
                        Timestamp.from(clock.instant()))
                .update();
        return get(id);
    }

    /** Verra project ids compare by number ("VCS-1234", "VCS1234" and "1234" are one project). */
    private static boolean sameProject(OffsetLot.Registry registry, String inBlock, String inCatalog) {
        if (registry == OffsetLot.Registry.VERRA) {
            String digits = inCatalog.replaceFirst("^(?i)VCS-?", "");
            return digits.matches("\\d{1,10}") && Long.parseLong(digits) == Long.parseLong(inBlock);
        }
        return inBlock.equals(inCatalog);
    }

    /** A page of the inventory, oldest lot first. */
    public PageRequest.Page<OffsetLot> list(PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from offset_lots where (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(OffsetLots::map).list(), l -> new PageRequest.Cursor(l.createdAt(), l.id()));
    }

    public OffsetLot get(UUID id) {
        return jdbc.sql("select * from offset_lots where id = ?").param(id).query(OffsetLots::map).optional()
                .orElseThrow(() -> ApiProblem.notFound("offset lot", id));
    }

    public static OffsetLot map(ResultSet rs, int n) throws SQLException {
        return new OffsetLot(rs.getObject("id", UUID.class), rs.getObject("product_id", UUID.class),
                OffsetLot.Registry.valueOf(rs.getString("registry")),
                rs.getString("project_id"), rs.getString("project_name"), OffsetLot.Kind.valueOf(rs.getString("kind")),
                rs.getInt("vintage"), rs.getString("serial_prefix"), rs.getLong("serial_first"),
                rs.getLong("serial_last"), rs.getString("serial_block"), rs.getLong("retired_tonnes"),
                rs.getBigDecimal("price_per_tonne"), rs.getString("currency"), rs.getTimestamp("created_at").toInstant());
    }
}
