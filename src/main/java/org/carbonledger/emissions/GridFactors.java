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
        java.time.LocalDate day = java.time.LocalDate.ofInstant(at, java.time.ZoneOffset.UTC);
        record Covered(BigDecimal coverage, BigDecimal weighted) {
        }
        Covered covered = jdbc.sql("""
                select coalesce(sum(coverage), 0) as c, coalesce(sum(coverage * gco2e_per_kwh), 0) as w
                  from energy_attribute_instruments
                 where tenant_id = ? and region = ? and period_start <= ? and period_end > ?""")
                .params(tenantId, location.region(), day, day)
                .query((rs, n) -> new Covered(rs.getBigDecimal("c"), rs.getBigDecimal("w"))).single();
        BigDecimal coverage = covered.coverage().min(BigDecimal.ONE);
        Optional<BigDecimal> residual = jdbc.sql("""
                select gco2e_per_kwh from emission_factors
                 where region = ? and basis = 'MARKET' and valid_from <= ? and (valid_to is null or valid_to > ?)
                 order by valid_from desc, (status = 'FINAL') desc, imported_at desc, id limit 1""")
                .params(location.region(), Timestamp.from(at), Timestamp.from(at))
                .query(BigDecimal.class).optional();
        BigDecimal uncovered = BigDecimal.ONE.subtract(coverage);
        BigDecimal intensity = covered.weighted().add(uncovered.multiply(residual.orElse(location.gco2ePerKwh())));
        return new Market(intensity, coverage, residual.isPresent() ? "RESIDUAL_MIX" : "LOCATION");
    }

    /** A marginal signal (WattTime MOER) valid at an instant, converted to gCO2e/kWh, with its provenance. */
    public record Marginal(UUID id, String provider, String zone, String signalType, Instant pointTime,
            Instant validTo, BigDecimal gco2ePerKwh, String modelVersion) {
    }

    /** The marginal signal of a region at an instant, if one was synced: kept apart from the location-based factor. */
    public Optional<Marginal> marginal(String region, Instant at) {
        return jdbc.sql("""
                select id, provider, zone, signal_type, point_time, valid_to, gco2e_per_kwh, model_version
                  from marginal_signals where region = ? and point_time <= ? and valid_to > ?
                 order by point_time desc, model_version desc, fetched_at desc limit 1""")
                .params(region, Timestamp.from(at), Timestamp.from(at))
                .query((rs, n) -> new Marginal(rs.getObject("id", UUID.class), rs.getString("provider"),
                        rs.getString("zone"), rs.getString("signal_type"), rs.getTimestamp("point_time").toInstant(),
                        rs.getTimestamp("valid_to").toInstant(), rs.getBigDecimal("gco2e_per_kwh"),
                        rs.getString("model_version")))
                .optional();
    }

    public BigDecimal defaultPue(String provider) {
        return DEFAULT_PUE.getOrDefault(provider, new BigDecimal("1.2"));
    }
}
