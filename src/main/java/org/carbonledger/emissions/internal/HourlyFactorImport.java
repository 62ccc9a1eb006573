package org.carbonledger.emissions.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.carbonledger.emissions.EstimatorV1;
import org.carbonledger.emissions.GridFactors;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Workload;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Imports an hourly location-based grid-intensity series (CSV {@code region,hour_start,gco2e_per_kwh[,zone]}) as
 * one-hour factors, and restates the emission records whose applicable factor changed as new versions (the old
 * versions are kept), with a per-tenant, per-month diff.
 */
@Service
public class HourlyFactorImport {

    public static final int MAX_ROWS = 100_000;

    public enum Status { ESTIMATED, FINAL }

    public record RestatementDiffLine(UUID tenantId, LocalDate periodStart, int records, BigDecimal co2eGramsBefore,
            BigDecimal co2eGramsAfter, BigDecimal co2eGramsDelta) {
    }

    public record HourlyImportResult(UUID restatementId, String datasetVersion, Status status, int imported, int restated,
            int billedRestated, int perTokenV0NotRestated, List<RestatementDiffLine> diff) {
    }

    private final JdbcClient jdbc;
    private final GridFactors factors;
    private final EmissionsRecorder recorder;
    private final MeasuredAttribution measured;
    private final Clock clock;

    HourlyFactorImport(JdbcClient jdbc, GridFactors factors, EmissionsRecorder recorder, MeasuredAttribution measured,
            Clock clock) {
        this.jdbc = jdbc;
        this.factors = factors;
        this.recorder = recorder;
        this.measured = measured;
        this.clock = clock;
    }

    /**
     * One hourly location-based factor to store, with its provenance: dataset version, status, signal type
     * ({@code average}, {@code average-lifecycle}, {@code average-direct}) and source reference.
     */
    public record Row(String region, Instant hour, BigDecimal gco2ePerKwh, String zone, String datasetVersion,
            Status status, String signalType, String sourceReference) {
    }

    /** What a provider sync stored and restated; rows stored before (same dataset version and hour) are skipped. */
    public record SignalImportResult(UUID restatementId, String label, int points, int imported, int alreadyStored,
            int restated, int billedRestated, List<RestatementDiffLine> diff) {
    }

    @Transactional
    public HourlyImportResult importCsv(String csv, String datasetVersion, String source, String sourceReference,
            Status status) {
        List<Row> rows = parse(csv, datasetVersion, status, sourceReference);
        Instant now = clock.instant();
        store(rows, source, true, now);
        Restated r = restate(rows, datasetVersion, "hourly location-based factors imported (" + status + ")", now);
        return new HourlyImportResult(r.id(), datasetVersion, status, rows.size(), r.restated(), r.billed(), r.v0(),
                r.diff());
    }

    /** Stores hourly factors fetched from a provider (idempotent per dataset version and hour) and restates. */
    @Transactional
    public SignalImportResult importSignal(List<Row> rows, String source, String label) {
        Instant now = clock.instant();
        List<Row> stored = store(rows, source, false, now);
        Restated r = stored.isEmpty() ? new Restated(null, 0, 0, 0, List.of())
                : restate(stored, label, "hourly factors synced from " + source, now);
        return new SignalImportResult(r.id(), label, rows.size(), stored.size(), rows.size() - stored.size(),
                r.restated(), r.billed(), r.diff());
    }

    private List<Row> store(List<Row> rows, String source, boolean conflictIsError, Instant now) {
        Set<String> seen = new HashSet<>();
        for (Row row : rows) {
            if (!seen.add(row.region() + "@" + row.hour())) {
                throw ApiProblem.invalid("body", "region " + row.region() + " hour " + row.hour() + " appears twice");
            }
        }
        Map<String, String> providers = new TreeMap<>();
        for (Row row : rows) {
            providers.computeIfAbsent(row.region(), r -> jdbc.sql(
                    "select provider from emission_factors where region = ? order by valid_from limit 1")
                    .param(r).query(String.class).optional()
                    .orElseThrow(() -> ApiProblem.invalid(conflictIsError ? "body" : "region",
                            "unknown region '" + r + "'")));
        }
        List<Row> stored = new ArrayList<>();
        for (Row row : rows) {
            int inserted = jdbc.sql("""
                    insert into emission_factors (id, provider, region, basis, gco2e_per_kwh, valid_from, valid_to,
                        dataset_version, source, source_reference, status, zone, imported_at, signal_type)
                    values (?, ?, ?, 'LOCATION', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (region, basis, dataset_version, valid_from) do nothing""")
                    .params(UUID.randomUUID(), providers.get(row.region()), row.region(), row.gco2ePerKwh(),
                            Timestamp.from(row.hour()), Timestamp.from(row.hour().plus(1, ChronoUnit.HOURS)),
                            row.datasetVersion(), source, row.sourceReference(), row.status().name(), row.zone(),
                            Timestamp.from(now), row.signalType())
                    .update();
            if (inserted == 1) {
                stored.add(row);
            } else if (conflictIsError) {
                throw ApiProblem.conflict("dataset version " + row.datasetVersion() + " already has region "
                        + row.region() + " hour " + row.hour());
            }
        }
        return stored;
    }

    private List<Row> parse(String csv, String datasetVersion, Status status, String sourceReference) {
        if (csv == null || csv.isBlank()) {
            throw ApiProblem.invalid("body", "an hourly series needs a header and at least one row");
        }
        List<Row> rows = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (CSVParser parser = format.parse(new StringReader(csv))) {
            for (String column : List.of("region", "hour_start", "gco2e_per_kwh")) {
                if (!parser.getHeaderMap().containsKey(column)) {
                    throw ApiProblem.invalid("body", "missing column " + column
                            + " (expected region,hour_start,gco2e_per_kwh[,zone])");
                }
            }
            for (CSVRecord r : parser) {
                if (rows.size() == MAX_ROWS) {
                    throw ApiProblem.invalid("body", "at most " + MAX_ROWS + " rows per import");
                }
                String line = "line " + (r.getRecordNumber() + 1) + ": ";
                String region = r.isSet("region") ? r.get("region") : "";
                if (region.isBlank()) {
                    throw ApiProblem.invalid("body", line + "region is empty");
                }
                Instant hour;
                try {
                    hour = Instant.parse(r.isSet("hour_start") ? r.get("hour_start") : "");
                } catch (DateTimeParseException e) {
                    throw ApiProblem.invalid("body", line + "hour_start is not an ISO-8601 instant");
                }
                if (!hour.truncatedTo(ChronoUnit.HOURS).equals(hour)) {
                    throw ApiProblem.invalid("body", line + "hour_start must be on the hour (UTC)");
                }
                BigDecimal g;
                try {
                    g = new BigDecimal(r.isSet("gco2e_per_kwh") ? r.get("gco2e_per_kwh") : "");
                } catch (NumberFormatException e) {
                    throw ApiProblem.invalid("body", line + "gco2e_per_kwh is not a number");
                }
                if (g.signum() < 0 || g.compareTo(new BigDecimal("10000")) >= 0 || g.scale() > 4) {
                    throw ApiProblem.invalid("body", line + "gco2e_per_kwh must be ≥ 0, below 10000, ≤ 4 decimals");
                }
                String zone = r.isMapped("zone") && r.isSet("zone") && !r.get("zone").isBlank() ? r.get("zone") : null;
                rows.add(new Row(region, hour, g, zone, datasetVersion, status, "average", sourceReference));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (rows.isEmpty()) {
            throw ApiProblem.invalid("body", "an hourly series needs a header and at least one row");
        }
        return rows;
    }

    private record Current(UUID recordId, UUID tenantId, UUID requestId, int version, String methodology,
            UUID factorId, BigDecimal co2e, BigDecimal occupancy, String flags, long in, long out, Instant endedAt,
            boolean billed, Workload workload, String nodeId) {
    }

    private record Restated(UUID id, int restated, int billed, int v0, List<RestatementDiffLine> diff) {
    }

    private Restated restate(List<Row> rows, String datasetVersion, String reason, Instant now) {
        UUID restatementId = UUID.randomUUID();
        Map<String, List<Row>> byRegion = new TreeMap<>();
        rows.forEach(r -> byRegion.computeIfAbsent(r.region(), k -> new ArrayList<>()).add(r));
        record Key(UUID tenantId, LocalDate period) implements Comparable<Key> {
            @Override
            public int compareTo(Key o) {
                int c = tenantId.compareTo(o.tenantId);
                return c != 0 ? c : period.compareTo(o.period);
            }
        }
        Map<Key, BigDecimal[]> diff = new TreeMap<>();
        Map<Key, Integer> counts = new TreeMap<>();
        int restated = 0;
        int billed = 0;
        int v0 = 0;
        for (var entry : byRegion.entrySet()) {
            Instant from = entry.getValue().stream().map(Row::hour).min(Instant::compareTo).orElseThrow();
            Instant to = entry.getValue().stream().map(Row::hour).max(Instant::compareTo).orElseThrow()
                    .plus(1, ChronoUnit.HOURS);
            for (Current c : affected(entry.getKey(), from, to)) {
                GridFactors.Factor factor = factors.locationBased(entry.getKey(), c.endedAt()).orElseThrow();
                if (factor.id().equals(c.factorId())) {
                    continue;
                }
                boolean isMeasured = EmissionsRecorder.MEASURED_VERSION.equals(c.methodology());
                if (!EstimatorV1.VERSION.equals(c.methodology()) && !isMeasured) {
                    v0++;
                    continue;
                }
                if (c.billed()) {
                    billed++; // billing bills the difference on the next close (adjustment or credit note)
                }
                Double occupancy = c.flags() != null && c.flags().contains("batch-default") ? null
                        : c.occupancy().doubleValue();
                // a measured record keeps its measured energy; only the factor changes
                EmissionsRecorder.Calculation calc = isMeasured
                        ? measured.measuredCalculation(c.tenantId(), c.nodeId(), c.requestId(), factor)
                        : recorder.calculate(c.workload(), c.in(), c.out(), occupancy, factor, c.endedAt());
                recorder.insert(c.tenantId(), c.requestId(), c.version() + 1, calc);
                restated++;
                Key key = new Key(c.tenantId(), LocalDate.ofInstant(c.endedAt(), ZoneOffset.UTC).withDayOfMonth(1));
                BigDecimal[] sums = diff.computeIfAbsent(key, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
                sums[0] = sums[0].add(c.co2e());
                sums[1] = sums[1].add(calc.co2eLocation().grams());
                counts.merge(key, 1, Integer::sum);
            }
        }
        jdbc.sql("""
                insert into emission_restatements (id, dataset_version, reason, created_at, records_restated,
                    records_billed_restated, records_v0_skipped) values (?, ?, ?, ?, ?, ?, ?)""")
                .params(restatementId, datasetVersion, reason, Timestamp.from(now), restated, billed, v0)
                .update();
        List<RestatementDiffLine> lines = new ArrayList<>();
        diff.forEach((key, sums) -> {
            jdbc.sql("""
                    insert into emission_restatement_lines (restatement_id, tenant_id, period_start, records,
                        co2e_grams_before, co2e_grams_after) values (?, ?, ?, ?, ?, ?)""")
                    .params(restatementId, key.tenantId(), key.period(), counts.get(key), sums[0], sums[1])
                    .update();
            lines.add(new RestatementDiffLine(key.tenantId(), key.period(), counts.get(key), sums[0], sums[1],
                    sums[1].subtract(sums[0])));
        });
        return new Restated(restatementId, restated, billed, v0, lines);
    }

    /** Latest versions of the emission records of requests in the region that ended in [from, to). */
    private List<Current> affected(String region, Instant from, Instant to) {
        return jdbc.sql("""
                select e.id, e.tenant_id, e.inference_request_id, e.version, e.methodology_version,
                       e.emission_factor_id, e.co2e_grams_location, e.batch_occupancy, e.estimator_flags,
                       r.input_tokens, r.output_tokens, r.ended_at,
                       exists (select 1 from invoice_line_emissions b join emission_records v
                                 on v.id = b.emission_record_id
                                where v.inference_request_id = e.inference_request_id) as billed,
                       w.id as w_id, w.name, w.model, w.model_params_billion, w.gpu_model, w.gpu_count, w.region,
                       w.pue, w.created_at, w.serving_since, r.node_id
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                  join workloads w on w.id = r.workload_id
                 where w.region = ? and r.ended_at >= ? and r.ended_at < ?
                   and e.version = (select max(v.version) from emission_records v
                                     where v.inference_request_id = e.inference_request_id)
                 order by r.ended_at, e.id""")
                .params(region, Timestamp.from(from), Timestamp.from(to))
                .query((rs, n) -> new Current(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                        rs.getObject("inference_request_id", UUID.class), rs.getInt("version"),
                        rs.getString("methodology_version"), rs.getObject("emission_factor_id", UUID.class),
                        rs.getBigDecimal("co2e_grams_location"), rs.getBigDecimal("batch_occupancy"),
                        rs.getString("estimator_flags"), rs.getLong("input_tokens"), rs.getLong("output_tokens"),
                        rs.getTimestamp("ended_at").toInstant(), rs.getBoolean("billed"),
                        new Workload(rs.getObject("w_id", UUID.class), rs.getObject("tenant_id", UUID.class),
                                rs.getString("name"), rs.getString("model"), rs.getBigDecimal("model_params_billion"),
                                rs.getString("gpu_model"), rs.getInt("gpu_count"), rs.getString("region"),
                                rs.getBigDecimal("pue"), rs.getTimestamp("created_at").toInstant(),
                                rs.getTimestamp("serving_since").toInstant()),
                        rs.getString("node_id")))
                .list();
    }
}
