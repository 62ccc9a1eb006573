package org.carbonledger.workload;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.Money;
import org.carbonledger.workload.internal.ApiKeys;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Creates and finds tenants. */
@Service
public class Tenants {

    private final JdbcClient jdbc;
    private final ApiKeys apiKeys;
    private final Clock clock;

    Tenants(JdbcClient jdbc, ApiKeys apiKeys, Clock clock) {
        this.jdbc = jdbc;
        this.apiKeys = apiKeys;
        this.clock = clock;
    }

    /** A new tenant and its first API key (the plain key is returned once and stored only as a hash). */
    public record Created(Tenant tenant, String apiKey) {
    }

    @Transactional
    public Created create(String name, Money pricePerTonne) {
        Tenant tenant = new Tenant(UUID.randomUUID(), name, pricePerTonne, clock.instant());
        jdbc.sql("insert into tenants (id, name, currency, price_per_tonne, created_at) values (?, ?, ?, ?, ?)")
                .params(tenant.id(), name, pricePerTonne.currency().getCurrencyCode(), pricePerTonne.amount(),
                        java.sql.Timestamp.from(tenant.createdAt()))
                .update();
        String key = apiKeys.issueTenantKey(tenant.id());
        return new Created(tenant, key);
    }

    public Optional<Tenant> find(UUID id) {
        return jdbc.sql("select id, name, currency, price_per_tonne, created_at from tenants where id = ?")
                .param(id)
                .query((rs, n) -> new Tenant(rs.getObject("id", UUID.class), rs.getString("name"),
                        Money.of(rs.getBigDecimal("price_per_tonne"), rs.getString("currency")),
                        rs.getTimestamp("created_at").toInstant()))
                .optional();
    }

    public Tenant get(UUID id) {
        return find(id).orElseThrow(() -> new IllegalStateException("tenant " + id + " does not exist"));
    }

}
