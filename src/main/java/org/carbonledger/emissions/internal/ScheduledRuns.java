package org.carbonledger.emissions.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The work the emissions schedule does on its own ({@link EmissionsScheduling} triggers it): the attribution run of
 * closed measurement windows, and the provider syncs of the configured zones and regions. Both are idempotent — a
 * window is attributed once, a provider hour or MOER point stored once — so a run repeated, or overlapping an
 * operator's run through the API, changes nothing twice.
 */
@Component
public class ScheduledRuns {

    private static final Logger log = LoggerFactory.getLogger(ScheduledRuns.class);

    /** What one scheduled provider sync did: pairs synced, pairs failed, hourly factors and MOER points stored. */
    public record GridSyncRun(int synced, int failed, int hourlyFactorsImported, int recordsRestated,
            int marginalPointsStored) {
    }

    private final MeasuredAttribution attribution;
    private final GridSignalSync sync;
    private final GridSyncProperties properties;
    private final Clock clock;
    private final boolean electricityMapsConfigured;
    private final boolean wattTimeConfigured;

    ScheduledRuns(MeasuredAttribution attribution, GridSignalSync sync, GridSyncProperties properties, Clock clock,
            @Value("${carbonledger.grid.electricity-maps.token:}") String electricityMapsToken,
            @Value("${carbonledger.grid.watttime.username:}") String wattTimeUsername) {
        this.attribution = attribution;
        this.sync = sync;
        this.properties = properties;
        this.clock = clock;
        this.electricityMapsConfigured = !electricityMapsToken.isBlank();
        this.wattTimeConfigured = !wattTimeUsername.isBlank();
    }

    /** Attributes the closed windows, in as many runs as the per-run limit needs. */
    public MeasuredAttribution.RunResult attributeClosedWindows() {
        int windows = 0;
        int incomplete = 0;
        int attributions = 0;
        int restated = 0;
        MeasuredAttribution.RunResult run;
        do {
            run = attribution.processClosedWindows();
            windows += run.windowsAttributed();
            incomplete = run.windowsIncomplete();
            attributions += run.attributions();
            restated += run.recordsRestated();
        } while (run.more());
        if (windows > 0) {
            log.info("measured attribution: {} windows, {} attributions, {} records restated, {} windows waiting",
                    windows, attributions, restated, incomplete);
        }
        return new MeasuredAttribution.RunResult(windows, incomplete, attributions, restated, false);
    }

    /**
     * Syncs each configured Electricity Maps zone (its last 24 hours) and WattTime region (the look-back up to the
     * current minute) of a configured provider. One pair failing (the provider down, an unknown region) is logged and
     * counted; the others still sync, and the next run tries it again.
     */
    public GridSyncRun syncGridSignals() {
        int synced = 0;
        int failed = 0;
        int imported = 0;
        int restated = 0;
        int marginal = 0;
        if (electricityMapsConfigured) {
            for (GridSyncProperties.Pair pair : properties.electricityMaps()) {
                try {
                    HourlyFactorImport.SignalImportResult r = sync.electricityMaps(pair.region(), pair.providerZone());
                    imported += r.imported();
                    restated += r.restated();
                    synced++;
                } catch (RuntimeException e) {
                    failed++;
                    log.warn("Electricity Maps sync of region {} (zone {}) failed: {}", pair.region(),
                            pair.providerZone(), e.getMessage());
                }
            }
        }
        if (wattTimeConfigured) {
            Instant end = clock.instant().truncatedTo(ChronoUnit.MINUTES);
            Instant start = end.minus(properties.wattTimeLookback());
            for (GridSyncProperties.Pair pair : properties.wattTime()) {
                try {
                    marginal += sync.wattTime(pair.region(), pair.providerZone(), start, end).stored();
                    synced++;
                } catch (RuntimeException e) {
                    failed++;
                    log.warn("WattTime sync of region {} ({}) failed: {}", pair.region(), pair.providerZone(),
                            e.getMessage());
                }
            }
        }
        if (synced + failed > 0) {
            log.info("grid signal sync: {} synced, {} failed, {} hourly factors, {} records restated, {} MOER points",
                    synced, failed, imported, restated, marginal);
        }
        return new GridSyncRun(synced, failed, imported, restated, marginal);
    }
}
