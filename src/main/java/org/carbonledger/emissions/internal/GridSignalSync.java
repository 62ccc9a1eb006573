package org.carbonledger.emissions.internal;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.carbonledger.emissions.grid.ElectricityMapsClient;
import org.carbonledger.emissions.grid.WattTimeClient;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Pulls grid signals from the providers into the factor tables. Electricity Maps' hourly averages become hourly
 * location-based factors of the region (restating the records they change, as an imported series does); WattTime's
 * MOER becomes the region's marginal series, a separate figure. When a provider cannot answer, nothing is stored and
 * the call fails with a {@code 503} naming the provider: records keep the factor they have (hourly or annual).
 *
 * <p>No database transaction is open while a provider is called (its retries and backoff can take seconds): each
 * sync fetches first, then stores and restates in one short transaction.
 */
@Service
public class GridSignalSync {

    static final Duration MAX_WATTTIME_RANGE = Duration.ofDays(32);

    public record MarginalSyncResult(String provider, String region, String zone, int points, int stored,
            int alreadyStored) {
    }

    private final ElectricityMapsClient electricityMaps;
    private final WattTimeClient wattTime;
    private final HourlyFactorImport imports;
    private final JdbcClient jdbc;
    private final Clock clock;
    private final TransactionTemplate transaction;

    GridSignalSync(ElectricityMapsClient electricityMaps, WattTimeClient wattTime, HourlyFactorImport imports,
            JdbcClient jdbc, Clock clock, PlatformTransactionManager transactions) {
        this.electricityMaps = electricityMaps;
        this.wattTime = wattTime;
        this.imports = imports;
        this.jdbc = jdbc;
        this.clock = clock;
        this.transaction = new TransactionTemplate(transactions);
    }

    /**
     * The zone's last 24 hours (Electricity Maps {@code /history}) as hourly factors of {@code region}: fetched outside
     * any transaction, stored and restated in the import's own transaction.
     */
    public HourlyFactorImport.SignalImportResult electricityMaps(String region, String zone) {
        List<HourlyFactorImport.Row> rows = new ArrayList<>();
        for (ElectricityMapsClient.Point p : electricityMaps.history(zone)) {
            if (!p.datetime().truncatedTo(ChronoUnit.HOURS).equals(p.datetime())) {
                continue; // only hourly points are hourly factors
            }
            String type = p.emissionFactorType();
            String signal = "lifecycle".equals(type) || "direct".equals(type) ? "average-" + type : "average";
            String updated = p.updatedAt() == null ? "unknown" : p.updatedAt().toString();
            rows.add(new HourlyFactorImport.Row(region, p.datetime(), p.gco2ePerKwh().setScale(4,
                    java.math.RoundingMode.HALF_EVEN), p.zone(), "electricitymaps:" + type + ":" + updated,
                    p.estimated() ? HourlyFactorImport.Status.ESTIMATED : HourlyFactorImport.Status.FINAL, signal,
                    "GET /v3/carbon-intensity/history?zone=" + zone + "; zone=" + p.zone() + "; emissionFactorType="
                            + type + "; isEstimated=" + p.estimated() + "; estimationMethod="
                            + p.estimationMethod() + "; updatedAt=" + updated));
        }
        return imports.importSignal(rows, "Electricity Maps API v3",
                "electricitymaps:" + zone + "@" + clock.instant());
    }

    /** WattTime's historical MOER of {@code wattTimeRegion} in [start, end) as the marginal series of {@code region}. */
    public MarginalSyncResult wattTime(String region, String wattTimeRegion, Instant start, Instant end) {
        if (!end.isAfter(start)) {
            throw ApiProblem.invalid("end", "end must be after start");
        }
        if (Duration.between(start, end).compareTo(MAX_WATTTIME_RANGE) > 0) {
            throw ApiProblem.invalid("end", "at most 32 days per sync (WattTime's limit per request)");
        }
        if (!jdbc.sql("select exists (select 1 from emission_factors where region = ?)").param(region)
                .query(Boolean.class).single()) {
            throw ApiProblem.invalid("region", "unknown region '" + region + "'");
        }
        List<WattTimeClient.Point> points = wattTime.historicalMoer(wattTimeRegion, start, end);
        Integer stored = transaction.execute(status -> storeMarginal(region, points));
        return new MarginalSyncResult(WattTimeClient.PROVIDER, region, wattTimeRegion, points.size(), stored,
                points.size() - stored);
    }

    private int storeMarginal(String region, List<WattTimeClient.Point> points) {
        int stored = 0;
        Instant now = clock.instant();
        for (WattTimeClient.Point p : points) {
            stored += jdbc.sql("""
                    insert into marginal_signals (id, provider, region, zone, signal_type, point_time, valid_to, value,
                        units, gco2e_per_kwh, model_version, fetched_at)
                    values (?, 'WattTime', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    on conflict (region, signal_type, model_version, point_time) do nothing""")
                    .params(UUID.randomUUID(), region, p.region(), p.signalType(), Timestamp.from(p.pointTime()),
                            Timestamp.from(p.validTo()), p.value(), p.units(),
                            p.gco2ePerKwh().setScale(6, java.math.RoundingMode.HALF_EVEN), p.modelVersion(),
                            Timestamp.from(now))
                    .update();
        }
        return stored;
    }
}
