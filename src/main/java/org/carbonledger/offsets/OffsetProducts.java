package org.carbonledger.offsets;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.shared.web.PageRequest;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The offset product catalog: one product per registry project. */
@Service
public class OffsetProducts {

    private final JdbcClient jdbc;
    private final Clock clock;

    OffsetProducts(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** @param price the list price per tonne, or null when the product is not priced by product */
    public record NewProduct(OffsetLot.Registry registry, String projectId, String name, OffsetLot.Kind kind,
            String methodology, String country, Money price) {
    }

    @Transactional
    public OffsetProduct add(NewProduct p) {
        jdbc.sql("select pg_advisory_xact_lock(hashtext(?))").param("offset-product:" + p.registry() + ":"
                + p.projectId()).query(Object.class).single();
        if (find(p.registry(), p.projectId()).isPresent()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Project already in the catalog", p.registry() + " project "
                    + p.projectId() + " is already an offset product", "projectId");
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_products (id, registry, registry_project_id, name, kind, methodology, country,
                                             price_per_tonne, currency, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, p.registry().name(), p.projectId(), p.name(), p.kind().name(), p.methodology(),
                        p.country(), p.price() == null ? null : p.price().amount(),
                        p.price() == null ? null : p.price().currency().getCurrencyCode(),
                        Timestamp.from(clock.instant()))
                .update();
        return get(id);
    }

    public Optional<OffsetProduct> find(OffsetLot.Registry registry, String projectId) {
        return jdbc.sql("select * from offset_products where registry = ? and registry_project_id = ?")
                .params(registry.name(), projectId).query(OffsetProducts::map).optional();
    }

    public Optional<OffsetProduct> find(UUID id) {
        return jdbc.sql("select * from offset_products where id = ?").param(id).query(OffsetProducts::map).optional();
    }

    public OffsetProduct get(UUID id) {
        return find(id).orElseThrow(() -> ApiProblem.notFound("offset product", id));
    }

    /** A page of the catalog, oldest product first. */
    public PageRequest.Page<OffsetProduct> list(PageRequest page) {
        var after = page.ascendingAfter();
        return page.page(jdbc.sql("select * from offset_products where (created_at, id) > (?, ?) "
                        + "order by created_at, id limit ?")
                .params(Timestamp.from(after.at()), after.id(), page.fetchSize())
                .query(OffsetProducts::map).list(), p -> new PageRequest.Cursor(p.createdAt(), p.id()));
    }

    public Optional<OffsetProduct> findByStripeId(String stripeProductId) {
        return jdbc.sql("select * from offset_products where stripe_product_id = ?").param(stripeProductId)
                .query(OffsetProducts::map).optional();
    }

    /**
     * Adds or updates the catalog entry of a Stripe Climate product (registry {@code OTHER}, project id = Stripe's
     * product id; Stripe Climate sells carbon removal only).
     */
    @Transactional
    public OffsetProduct upsertStripeClimate(String stripeProductId, String name, Integer deliveryYear, Money price) {
        jdbc.sql("select pg_advisory_xact_lock(hashtext(?))").param("offset-product:OTHER:" + stripeProductId)
                .query(Object.class).single();
        Optional<OffsetProduct> existing = findByStripeId(stripeProductId);
        java.math.BigDecimal amount = price == null ? null : price.amount();
        String currency = price == null ? null : price.currency().getCurrencyCode();
        if (existing.isPresent()) {
            jdbc.sql("""
                    update offset_products set name = ?, delivery_year = ?, price_per_tonne = ?, currency = ?
                     where id = ?""").params(name, deliveryYear, amount, currency, existing.get().id()).update();
            return get(existing.get().id());
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_products (id, registry, registry_project_id, name, kind, price_per_tonne, currency,
                                             created_at, provider, stripe_product_id, delivery_year)
                values (?, 'OTHER', ?, ?, 'REMOVAL', ?, ?, ?, 'STRIPE_CLIMATE', ?, ?)""")
                .params(id, stripeProductId, name, amount, currency, Timestamp.from(clock.instant()), stripeProductId,
                        deliveryYear)
                .update();
        return get(id);
    }

    static OffsetProduct map(ResultSet rs, int n) throws SQLException {
        return new OffsetProduct(rs.getObject("id", UUID.class), OffsetLot.Registry.valueOf(rs.getString("registry")),
                rs.getString("registry_project_id"), rs.getString("name"),
                OffsetLot.Kind.valueOf(rs.getString("kind")), rs.getString("methodology"), rs.getString("country"),
                rs.getBigDecimal("price_per_tonne"), rs.getString("currency"),
                rs.getTimestamp("created_at").toInstant(), OffsetProvider.Kind.valueOf(rs.getString("provider")),
                rs.getString("stripe_product_id"), (Integer) rs.getObject("delivery_year"));
    }
}
