package org.carbonledger.emissions.internal;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code carbonledger.grid.sync.*}: what the scheduled provider syncs pull. Each entry maps one of our regions to the
 * provider's zone or region as {@code region=providerZone}; with no entry (or no credentials) a provider is not
 * synced on its own. (The schedule's period, {@code carbonledger.grid.sync.interval}, is read by
 * {@link EmissionsScheduling}.)
 *
 * @param electricityMapsZones {@code region=zone} pairs synced from Electricity Maps (its last 24 hours each time)
 * @param wattTimeRegions {@code region=wattTimeRegion} pairs synced from WattTime
 * @param wattTimeLookback the span of MOER history fetched each time, ending now (at most 32 days)
 */
@ConfigurationProperties("carbonledger.grid.sync")
public record GridSyncProperties(List<String> electricityMapsZones, List<String> wattTimeRegions,
        Duration wattTimeLookback) {

    /** One of our regions and the provider's name for it. */
    public record Pair(String region, String providerZone) {
    }

    public GridSyncProperties {
        electricityMapsZones = electricityMapsZones == null ? List.of() : List.copyOf(electricityMapsZones);
        wattTimeRegions = wattTimeRegions == null ? List.of() : List.copyOf(wattTimeRegions);
        wattTimeLookback = wattTimeLookback == null ? Duration.ofHours(24) : wattTimeLookback;
        if (wattTimeLookback.isNegative() || wattTimeLookback.isZero()
                || wattTimeLookback.compareTo(GridSignalSync.MAX_WATTTIME_RANGE) > 0) {
            throw new IllegalArgumentException("carbonledger.grid.sync.watt-time-lookback must be within (0, P32D]");
        }
        pairs("electricity-maps-zones", electricityMapsZones);
        pairs("watt-time-regions", wattTimeRegions);
    }

    public List<Pair> electricityMaps() {
        return pairs("electricity-maps-zones", electricityMapsZones);
    }

    public List<Pair> wattTime() {
        return pairs("watt-time-regions", wattTimeRegions);
    }

    private static List<Pair> pairs(String property, List<String> entries) {
        return entries.stream().filter(e -> !e.isBlank()).map(e -> {
            String[] parts = e.trim().split("=", -1);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException("carbonledger.grid.sync." + property + ": '" + e
                        + "' is not region=providerZone");
            }
            return new Pair(parts[0].trim(), parts[1].trim());
        }).toList();
    }
}
