package org.carbonledger.emissions;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.carbonledger.workload.GridRegions;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Grid emission factors by region and time, from the {@code emission_factors} table (with their sources). */
@Component
public class GridFactors implements GridRegions {

    /** Default power usage effectiveness per provider: Cloud Carbon Footprint's PUE_AVG constants (HEAD 2024-03). */
    static final Map<String, BigDecimal> DEFAULT_PUE = Map.of(
            "AWS", new BigDecimal("1.135"),
            "Azure", new BigDecimal("1.185"),
            "GCP", new BigDecimal("1.1"));

    /** A factor with its provenance: validity window, zone (the region unless the dataset names a grid zone). */
    public record Factor(UUID id, String provider, String region, String basis, BigDecimal gco2ePerKwh,
            String datasetVersion, String source, Instant validFrom, Instant validTo, String zone, String status) {
    }

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final Map<String, Optional<String>> canonical = new ConcurrentHashMap<>();

    GridFactors(JdbcClient jdbc, JdbcTemplate template) {
        this.jdbc = jdbc;
        this.template = template;
    }

    @Override
    public Optional<String> canonical(String region) {
        return canonical.computeIfAbsent(region.toLowerCase(java.util.Locale.ROOT), r -> jdbc
                .sql("select region from emission_factors where lower(region) = ? order by region limit 1").param(r)
                .query(String.class).optional());
    }

    @Override
    public boolean hasFactorAt(String region, Instant at) {
        return locationBased(region, at).isPresent();
    }

    /** The location-based factor for a region valid at an instant. */
    public Optional<Factor> locationBased(String region, Instant at) {
        return jdbc.sql("""
                select id, provider, region, basis, gco2e_per_kwh, dataset_version, source, valid_from, valid_to,
                       coalesce(zone, region) as zone, status from emission_factors
                 where region = ? and basis = 'LOCATION' and valid_from <= ? and (valid_to is null or valid_to > ?)
                 order by valid_from desc, (status = 'FINAL') desc, imported_at desc, id limit 1""")
                .params(region, Timestamp.from(at), Timestamp.from(at))
                .query((rs, n) -> factor(rs))
                .optional();
    }

    /** A region at an instant: the key of a location-based factor lookup. */
    public record RegionAt(String region, Instant at) {
    }

    /**
     * The location-based factors of many (region, instant) pairs in one query, with the criteria and order of
     * {@link #locationBased(String, Instant)} applied to each distinct pair; pairs without a factor are absent.
     */
    public Map<RegionAt, Factor> locationBased(java.util.Collection<RegionAt> keys) {
        List<RegionAt> distinct = List.copyOf(new java.util.LinkedHashSet<>(keys));
        if (distinct.isEmpty()) {
            return Map.of();
        }
        String[] regions = new String[distinct.size()];
        String[] instants = new String[distinct.size()];
        for (int k = 0; k < distinct.size(); k++) {
            regions[k] = distinct.get(k).region();
            instants[k] = distinct.get(k).at().toString();
        }
        Map<RegionAt, Factor> result = new java.util.HashMap<>(distinct.size() * 2);
        template.execute((ConnectionCallback<Void>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord, f.* from unnest(?::text[], ?::timestamptz[]) with ordinality as t (region, at, ord)
                      cross join lateral (
                        select id, provider, region, basis, gco2e_per_kwh, dataset_version, source, valid_from,
                               valid_to, coalesce(zone, region) as zone, status from emission_factors
                         where region = t.region and basis = 'LOCATION' and valid_from <= t.at
                           and (valid_to is null or valid_to > t.at)
                         order by valid_from desc, (status = 'FINAL') desc, imported_at desc, id limit 1) f""")) {
                ps.setArray(1, con.createArrayOf("text", regions));
                ps.setArray(2, con.createArrayOf("text", instants));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        result.put(distinct.get(rs.getInt("ord") - 1), factor(rs));
                    }
                }
            }
            return null;
        });
        return result;
    }

    private static Factor factor(ResultSet rs) throws SQLException {
        return new Factor(rs.getObject("id", UUID.class), rs.getString("provider"), rs.getString("region"),
                rs.getString("basis"), rs.getBigDecimal("gco2e_per_kwh"), rs.getString("dataset_version"),
                rs.getString("source"), rs.getTimestamp("valid_from").toInstant(),
                rs.getTimestamp("valid_to") == null ? null : rs.getTimestamp("valid_to").toInstant(),
                rs.getString("zone"), rs.getString("status"));
    }

    /**
     * The market-based intensity a tenant's electricity carries in a region at an instant: the contractual
     * instruments covering it (coverage-weighted), and for the uncovered share the region's residual mix
     * ({@code MARKET} factor) or, where none is loaded, the location-based factor.
     */
    public record Market(BigDecimal gco2ePerKwh, BigDecimal coverage, String residualBasis) {
    }

    public Market marketBased(UUID tenantId, Factor location, Instant at) {
        LocatedAt key = new LocatedAt(location, at);
        return marketBased(tenantId, List.of(key)).get(key);
    }

    /** Coverage-weighted instruments, and the residual mix (or the location-based factor) for the rest. */
    private static Market market(BigDecimal coverageSum, BigDecimal weighted, Optional<BigDecimal> residual,
            Factor location) {
        BigDecimal coverage = coverageSum.min(BigDecimal.ONE);
        BigDecimal uncovered = BigDecimal.ONE.subtract(coverage);
        BigDecimal intensity = weighted.add(uncovered.multiply(residual.orElse(location.gco2ePerKwh())));
        return new Market(intensity, coverage, residual.isPresent() ? "RESIDUAL_MIX" : "LOCATION");
    }

    /** A location-based factor and the instant a request ended: the key of its market-based figure. */
    public record LocatedAt(Factor location, Instant at) {
    }

    /**
     * The market-based figures of many keys of one tenant with two queries whatever their number: the instruments of
     * the distinct (region, day) pairs (coverage-weighted, by the UTC day the request ended) and the residual mixes of
     * the distinct (region, instant) pairs (the latest valid, final before estimated).
     */
    public Map<LocatedAt, Market> marketBased(UUID tenantId, java.util.Collection<LocatedAt> keys) {
        List<LocatedAt> distinct = List.copyOf(new java.util.LinkedHashSet<>(keys));
        if (distinct.isEmpty()) {
            return Map.of();
        }
        record RegionDay(String region, java.time.LocalDate day) {
        }
        List<RegionDay> days = List.copyOf(new java.util.LinkedHashSet<>(distinct.stream()
                .map(k -> new RegionDay(k.location().region(),
                        java.time.LocalDate.ofInstant(k.at(), java.time.ZoneOffset.UTC)))
                .toList()));
        List<RegionAt> instants = List.copyOf(new java.util.LinkedHashSet<>(distinct.stream()
                .map(k -> new RegionAt(k.location().region(), k.at())).toList()));
        Map<RegionDay, BigDecimal[]> covered = new java.util.HashMap<>();
        Map<RegionAt, BigDecimal> residual = new java.util.HashMap<>();
        template.execute((ConnectionCallback<Void>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord, coalesce(sum(i.coverage), 0) as c, coalesce(sum(i.coverage * i.gco2e_per_kwh), 0) as w
                      from unnest(?::text[], ?::date[]) with ordinality as t (region, day, ord)
                      left join energy_attribute_instruments i
                             on i.tenant_id = ? and i.region = t.region and i.period_start <= t.day
                            and i.period_end > t.day
                     group by t.ord""")) {
                ps.setArray(1, con.createArrayOf("text", days.stream().map(RegionDay::region).toArray()));
                ps.setArray(2, con.createArrayOf("text", days.stream().map(d -> d.day().toString()).toArray()));
                ps.setObject(3, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        covered.put(days.get(rs.getInt("ord") - 1),
                                new BigDecimal[] {rs.getBigDecimal("c"), rs.getBigDecimal("w")});
                    }
                }
            }
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord, f.gco2e_per_kwh
                      from unnest(?::text[], ?::timestamptz[]) with ordinality as t (region, at, ord)
                     cross join lateral (
                       select gco2e_per_kwh from emission_factors
                        where region = t.region and basis = 'MARKET' and valid_from <= t.at
                          and (valid_to is null or valid_to > t.at)
                        order by valid_from desc, (status = 'FINAL') desc, imported_at desc, id limit 1) f""")) {
                ps.setArray(1, con.createArrayOf("text", instants.stream().map(RegionAt::region).toArray()));
                ps.setArray(2, con.createArrayOf("text", instants.stream().map(k -> k.at().toString()).toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        residual.put(instants.get(rs.getInt("ord") - 1), rs.getBigDecimal("gco2e_per_kwh"));
                    }
                }
            }
            return null;
        });
        Map<LocatedAt, Market> result = new java.util.HashMap<>(distinct.size() * 2);
        for (LocatedAt k : distinct) {
            BigDecimal[] c = covered.get(new RegionDay(k.location().region(),
                    java.time.LocalDate.ofInstant(k.at(), java.time.ZoneOffset.UTC)));
            result.put(k, market(c[0], c[1], Optional.ofNullable(residual.get(new RegionAt(k.location().region(),
                    k.at()))), k.location()));
        }
        return result;
    }

    /** A marginal signal (WattTime MOER) valid at an instant, converted to gCO2e/kWh, with its provenance. */
    public record Marginal(UUID id, String provider, String zone, String signalType, Instant pointTime,
            Instant validTo, BigDecimal gco2ePerKwh, String modelVersion) {
    }

    /** The marginal signal of a region at an instant, if one was synced: kept apart from the location-based factor. */
    public Optional<Marginal> marginal(String region, Instant at) {
        RegionAt key = new RegionAt(region, at);
        return Optional.ofNullable(marginal(List.of(key)).get(key));
    }

    /**
     * The marginal signals of many (region, instant) keys with one query, the latest point valid at each instant;
     * keys without a signal are absent.
     */
    public Map<RegionAt, Marginal> marginal(java.util.Collection<RegionAt> keys) {
        List<RegionAt> distinct = List.copyOf(new java.util.LinkedHashSet<>(keys));
        if (distinct.isEmpty()) {
            return Map.of();
        }
        Map<RegionAt, Marginal> result = new java.util.HashMap<>();
        template.execute((ConnectionCallback<Void>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    select t.ord, m.* from unnest(?::text[], ?::timestamptz[]) with ordinality as t (region, at, ord)
                     cross join lateral (
                       select id, provider, zone, signal_type, point_time, valid_to, gco2e_per_kwh, model_version
                         from marginal_signals where region = t.region and point_time <= t.at and valid_to > t.at
                        order by point_time desc, model_version desc, fetched_at desc limit 1) m""")) {
                ps.setArray(1, con.createArrayOf("text", distinct.stream().map(RegionAt::region).toArray()));
                ps.setArray(2, con.createArrayOf("text", distinct.stream().map(k -> k.at().toString()).toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        result.put(distinct.get(rs.getInt("ord") - 1), new Marginal(rs.getObject("id", UUID.class),
                                rs.getString("provider"), rs.getString("zone"), rs.getString("signal_type"),
                                rs.getTimestamp("point_time").toInstant(), rs.getTimestamp("valid_to").toInstant(),
                                rs.getBigDecimal("gco2e_per_kwh"), rs.getString("model_version")));
                    }
                }
            }
            return null;
        });
        return result;
    }

    public BigDecimal defaultPue(String provider) {
        return DEFAULT_PUE.getOrDefault(provider, new BigDecimal("1.2"));
    }
}
