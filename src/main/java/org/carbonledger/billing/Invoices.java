package org.carbonledger.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import org.carbonledger.shared.web.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Billing periods follow the tenant's {@link BillingPolicy} (calendar months in UTC by default, or N-day periods).
 * Closing a period invoices every emission record not billed yet whose request ended before the period's end — so a
 * request reported after its period was closed lands on the next invoice, never on none and never on two (an
 * emission record is billed at most once, enforced by a unique key). A new version of a record already billed is
 * billed as the difference: an ADJUSTMENT line when it is higher, a CREDIT_NOTE line when lower.
 */
@Service
public class Invoices {

    private final JdbcClient jdbc;
    private final BillingPolicies policies;
    private final Workloads workloads;
    private final InvoiceLifecycle lifecycle;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    Invoices(JdbcClient jdbc, BillingPolicies policies, Workloads workloads, InvoiceLifecycle lifecycle,
            ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.policies = policies;
        this.workloads = workloads;
        this.lifecycle = lifecycle;
        this.events = events;
        this.clock = clock;
    }

    public record Closed(Invoice invoice, boolean created) {
    }

    private record Unbilled(UUID emissionRecordId, UUID workloadId, BigDecimal energyJoules, BigDecimal grams,
            boolean restated) {
    }

    private record LineKey(Invoice.LineKind kind, UUID workloadId) implements Comparable<LineKey> {
        @Override
        public int compareTo(LineKey o) {
            int k = kind.compareTo(o.kind);
            return k != 0 ? k : workloadId.compareTo(o.workloadId);
        }
    }

    /** Idempotent: closing a closed period returns its invoice. {@code start} must be a period boundary. */
    @Transactional
    public Closed close(UUID tenantId, LocalDate start) {
        BillingPolicy policy = policies.get(tenantId);
        BillingPolicy.Period period;
        try {
            period = policy.periodStartingAt(start);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalid(policy.monthly() ? "period" : "periodStart", e.getMessage());
        }
        Instant endInstant = period.end().atStartOfDay(ZoneOffset.UTC).toInstant();
        if (endInstant.isAfter(clock.instant())) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Period not ended", "billing period " + period.start() + " to "
                    + period.end() + " ends at " + endInstant + " and cannot be closed before",
                    policy.monthly() ? "period" : "periodStart");
        }
        // one close at a time per tenant, so two concurrent closes cannot both bill the same records
        jdbc.sql("select id from tenants where id = ? for update").param(tenantId).query(UUID.class).single();
        Optional<Invoice> existing = jdbc.sql("select id from invoices where tenant_id = ? and period_start = ?")
                .params(tenantId, period.start()).query(UUID.class).optional().map(id -> get(tenantId, id));
        if (existing.isPresent()) {
            return new Closed(existing.get(), false);
        }
        Optional<String> overlapping = jdbc.sql("""
                select number from invoices where tenant_id = ? and period_start < ? and ? < period_end""")
                .params(tenantId, period.end(), period.start()).query(String.class).optional();
        if (overlapping.isPresent()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Period overlaps an invoice", "the period " + period.start()
                    + " to " + period.end() + " overlaps invoice " + overlapping.get(),
                    policy.monthly() ? "period" : "periodStart");
        }
        String grams = policy.uncertainty() == BillingPolicy.Uncertainty.CENTRAL ? "co2e_grams_location"
                : "co2e_grams_high";
        List<Unbilled> unbilled = jdbc.sql("""
                select e.id, r.workload_id, e.energy_joules,
                       e.%1$s - coalesce((select sum(coalesce(b2.billed_co2e_grams, e2.%1$s))
                                            from emission_records e2
                                            join invoice_line_emissions b2 on b2.emission_record_id = e2.id
                                           where e2.inference_request_id = e.inference_request_id), 0),
                       exists (select 1 from emission_records e2
                                 join invoice_line_emissions b2 on b2.emission_record_id = e2.id
                                where e2.inference_request_id = e.inference_request_id)
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                 where e.tenant_id = ? and r.ended_at < ?
                   and e.version = (select max(v.version) from emission_records v
                                     where v.inference_request_id = e.inference_request_id)
                   and not exists (select 1 from invoice_line_emissions b where b.emission_record_id = e.id)
                 order by r.workload_id, r.ended_at, e.id""".formatted(grams))
                .params(tenantId, Timestamp.from(endInstant))
                .query((rs, n) -> new Unbilled(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                        rs.getBigDecimal(3), rs.getBigDecimal(4), rs.getBoolean(5)))
                .list();
        Map<LineKey, List<Unbilled>> groups = new TreeMap<>();
        for (Unbilled u : unbilled) {
            Invoice.LineKind kind = !u.restated() ? Invoice.LineKind.USAGE
                    : u.grams().signum() < 0 ? Invoice.LineKind.CREDIT_NOTE : Invoice.LineKind.ADJUSTMENT;
            groups.computeIfAbsent(new LineKey(kind, u.workloadId()), k -> new ArrayList<>()).add(u);
        }
        BigDecimal usageGrams = unbilled.stream().filter(u -> u.grams().signum() > 0).map(Unbilled::grams)
                .reduce(BigDecimal.ZERO, BigDecimal::add);
        BillingPolicies.ProductPrice product = policy.pricingMode() == BillingPolicy.PricingMode.PRODUCT
                ? productPrice(policy) : null;
        BigDecimal base = switch (policy.pricingMode()) {
            case FIXED -> policy.pricePerTonne();
            case PASS_THROUGH -> passThroughPrice(tenantId, policy.currency(), usageGrams);
            case PRODUCT -> product.pricePerTonne();
        };
        Money price = policy.effectivePrice(base);
        String priced = product == null ? "" : ", priced as " + product.label() + " at "
                + base.stripTrailingZeros().toPlainString() + " " + policy.currency() + "/t"
                + (policy.marginPercent().signum() > 0 ? " + " + policy.marginPercent().stripTrailingZeros()
                        .toPlainString() + "% margin" : "");

        UUID invoiceId = UUID.randomUUID();
        long sequence = jdbc.sql("select nextval('invoice_numbers')").query(Long.class).single();
        String number = String.format("INV-%s-%06d", policy.monthly()
                ? period.start().toString().substring(0, 7) : period.start().toString(), sequence);
        Instant now = clock.instant();
        jdbc.sql("""
                insert into invoices (id, tenant_id, number, period_start, period_end, status, currency, total_amount,
                                      co2e_grams, pricing_mode, uncertainty, created_at, updated_at,
                                      offset_product_id, base_price_per_tonne)
                values (?, ?, ?, ?, ?, 'OPEN', ?, 0, 0, ?, ?, ?, ?, ?, ?)""")
                .params(invoiceId, tenantId, number, period.start(), period.end(), policy.currency(),
                        policy.pricingMode().name(), policy.uncertainty().name(), Timestamp.from(now),
                        Timestamp.from(now), product == null ? null : product.id(), product == null ? null : base)
                .update();
        Money total = Money.zero(price.currency());
        BigDecimal totalGrams = BigDecimal.ZERO;
        for (var entry : groups.entrySet()) {
            LineKey key = entry.getKey();
            Workload workload = workloads.find(tenantId, key.workloadId()).orElseThrow();
            BigDecimal mass = entry.getValue().stream().map(Unbilled::grams).reduce(BigDecimal.ZERO, BigDecimal::add);
            BigDecimal energy = key.kind() == Invoice.LineKind.USAGE ? entry.getValue().stream()
                    .map(Unbilled::energyJoules).reduce(BigDecimal.ZERO, BigDecimal::add) : BigDecimal.ZERO;
            Money amount = priceOf(mass, price);
            String what = switch (key.kind()) {
                case USAGE -> "Inference CO2e";
                case ADJUSTMENT -> "Adjustment for restated CO2e";
                case CREDIT_NOTE -> "Credit note for restated CO2e";
                case FEE -> throw new IllegalStateException();
            };
            String basis = policy.uncertainty() == BillingPolicy.Uncertainty.UPPER_BOUND ? ", upper bound" : "";
            UUID lineId = insertLine(invoiceId, tenantId, key.kind(), workload.id(), workload.model(),
                    what + ", " + workload.name() + " (" + workload.model() + ")" + basis + priced,
                    entry.getValue().size(),
                    energy, mass, price.amount(), amount);
            for (Unbilled u : entry.getValue()) {
                jdbc.sql("""
                        insert into invoice_line_emissions (invoice_line_id, emission_record_id, billed_co2e_grams)
                        values (?, ?, ?)""").params(lineId, u.emissionRecordId(), u.grams()).update();
            }
            total = total.plus(amount);
            totalGrams = totalGrams.add(mass);
        }
        if (policy.feePerInvoice().signum() > 0) {
            Money fee = policy.fee();
            insertLine(invoiceId, tenantId, Invoice.LineKind.FEE, null, null, "Invoice fee", 0, BigDecimal.ZERO,
                    BigDecimal.ZERO, BigDecimal.ZERO, fee);
            total = total.plus(fee);
        }
        jdbc.sql("update invoices set total_amount = ?, co2e_grams = ? where id = ?")
                .params(total.amount(), totalGrams, invoiceId).update();
        events.publishEvent(new InvoiceClosed(tenantId, invoiceId));
        return new Closed(get(tenantId, invoiceId), true);
    }

    /** grams / 1e6 × price per tonne, rounded once to minor units half-even; negative for credit notes. */
    static Money priceOf(BigDecimal grams, Money pricePerTonne) {
        return new Money(grams.multiply(pricePerTonne.amount()).divide(Co2eMass.GRAMS_PER_TONNE),
                pricePerTonne.currency()).rounded();
    }

    /** The offset product's list price, checked again at close (the policy was checked when stored). */
    private BillingPolicies.ProductPrice productPrice(BillingPolicy policy) {
        BillingPolicies.ProductPrice product = policies.productPrice(policy.offsetProductId())
                .filter(p -> p.pricePerTonne() != null && p.currency().equals(policy.currency()))
                .orElseThrow(() -> ApiProblem.conflict("the billing policy prices by offset product "
                        + policy.offsetProductId() + ", which has no price in " + policy.currency()));
        return product;
    }

    /**
     * Pass-through: the mean lot price of the credits that retirement at payment would take next (whole tonnes, lots
     * in the invoice currency, those the tenant's allocation policy allows in its order — read from the offsets
     * module's policy table), estimated at close.
     */
    private BigDecimal passThroughPrice(UUID tenantId, String currency, BigDecimal grams) {
        long tonnes = Math.max(1, Co2eMass.ofGrams(grams.max(BigDecimal.ZERO)).wholeTonnesToCover());
        record Lot(long available, BigDecimal price) {
        }
        List<Lot> lots = jdbc.sql("""
                select l.serial_last - l.serial_first + 1 - l.retired_tonnes, l.price_per_tonne
                  from offset_lots l
                  left join offset_allocation_policies p on p.tenant_id = ?
                 where l.retired_tonnes < l.serial_last - l.serial_first + 1 and l.currency = ?
                   and (p.tenant_id is null
                        or ((not p.removal_only or l.kind = 'REMOVAL')
                            and (p.min_vintage is null or l.vintage >= p.min_vintage)
                            and (p.registries is null or l.registry = any (p.registries))
                            and (p.product_id is null or l.product_id = p.product_id)))
                 order by case p.retirement_order when 'NEWEST_VINTAGE_FIRST' then -l.vintage else 0 end,
                          case p.retirement_order when 'LOWEST_PRICE_FIRST' then l.price_per_tonne else 0 end,
                          l.vintage, l.created_at, l.id""").params(tenantId, currency)
                .query((rs, n) -> new Lot(rs.getLong(1), rs.getBigDecimal(2))).list();
        BigDecimal cost = BigDecimal.ZERO;
        long priced = 0;
        for (Lot lot : lots) {
            long take = Math.min(tonnes - priced, lot.available());
            cost = cost.add(lot.price().multiply(BigDecimal.valueOf(take)));
            priced += take;
            if (priced == tonnes) {
                break;
            }
        }
        if (priced == 0) {
            throw ApiProblem.conflict("pass-through pricing needs offset inventory in " + currency
                    + " to price the credits; there is none");
        }
        return cost.divide(BigDecimal.valueOf(priced), 4, RoundingMode.HALF_EVEN);
    }

    private UUID insertLine(UUID invoiceId, UUID tenantId, Invoice.LineKind kind, UUID workloadId, String model,
            String description, long requests, BigDecimal energy, BigDecimal grams, BigDecimal pricePerTonne,
            Money amount) {
        UUID lineId = UUID.randomUUID();
        jdbc.sql("""
                insert into invoice_lines (id, invoice_id, tenant_id, kind, workload_id, model, description,
                                           request_count, energy_joules, co2e_grams, price_per_tonne, amount, currency)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(lineId, invoiceId, tenantId, kind.name(), workloadId, model, description, requests, energy,
                        grams, pricePerTonne, amount.amount(), amount.currency().getCurrencyCode())
                .update();
        return lineId;
    }

    /** Records an offline payment of the full amount and publishes {@link InvoicePaid}. */
    @Transactional
    public Invoice payOffline(UUID tenantId, UUID invoiceId, String reference) {
        Invoice invoice = lifecycle.lock(tenantId, invoiceId);
        if (invoice.stripeInvoiceId() != null) {
            throw ApiProblem.conflict("invoice " + invoice.number() + " is collected through Stripe");
        }
        if (!invoice.status().canMoveTo(Invoice.Status.PAID)) {
            throw ApiProblem.conflict("invoice " + invoice.number() + " is already " + invoice.status());
        }
        String ref = reference == null || reference.isBlank() ? "offline-" + invoice.number() : reference;
        boolean referenceUsed = jdbc.sql("""
                select exists (select 1 from payments where tenant_id = ? and provider = 'OFFLINE'
                                                       and provider_reference = ?)""")
                .params(tenantId, ref).query(Boolean.class).single();
        if (referenceUsed) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Conflict", "payment reference '" + ref
                    + "' was already used for another invoice", "reference");
        }
        lifecycle.recordPayment(invoice, "OFFLINE", ref, null, "offline payment " + ref);
        return get(tenantId, invoiceId);
    }

    public Optional<Invoice> find(UUID tenantId, UUID invoiceId) {
        return jdbc.sql("select * from invoices where id = ? and tenant_id = ?").params(invoiceId, tenantId)
                .query((rs, n) -> map(rs, lines(invoiceId))).optional();
    }

    public Invoice get(UUID tenantId, UUID invoiceId) {
        return find(tenantId, invoiceId).orElseThrow(() -> ApiProblem.notFound("invoice", invoiceId));
    }

    /** A page of the tenant's invoices, newest period first. */
    public PageRequest.Page<Invoice> list(UUID tenantId, PageRequest page) {
        var before = page.descendingAfter();
        return page.page(jdbc.sql("select * from invoices where tenant_id = ? and (period_start, id) < (?, ?) "
                        + "order by period_start desc, id desc limit ?")
                .params(tenantId, before.at().atZone(java.time.ZoneOffset.UTC).toLocalDate(), before.id(),
                        page.fetchSize())
                .query((rs, n) -> map(rs, lines(rs.getObject("id", UUID.class)))).list(),
                i -> new PageRequest.Cursor(i.periodStart().atStartOfDay(java.time.ZoneOffset.UTC).toInstant(), i.id()));
    }

    private List<Invoice.Line> lines(UUID invoiceId) {
        return jdbc.sql("select * from invoice_lines where invoice_id = ? order by kind desc, description, id")
                .param(invoiceId)
                .query((rs, n) -> new Invoice.Line(rs.getObject("id", UUID.class),
                        Invoice.LineKind.valueOf(rs.getString("kind")), rs.getObject("workload_id", UUID.class),
                        rs.getString("model"), rs.getString("description"), rs.getLong("request_count"),
                        rs.getBigDecimal("energy_joules"), rs.getBigDecimal("co2e_grams"),
                        rs.getBigDecimal("price_per_tonne"),
                        Money.of(rs.getBigDecimal("amount"), rs.getString("currency")).rounded().amount(),
                        rs.getString("currency")))
                .list();
    }

    static Invoice map(ResultSet rs, List<Invoice.Line> lines) throws SQLException {
        Timestamp paid = rs.getTimestamp("paid_at");
        return new Invoice(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("number"), rs.getObject("period_start", LocalDate.class),
                rs.getObject("period_end", LocalDate.class), Invoice.Status.valueOf(rs.getString("status")),
                rs.getString("currency"),
                Money.of(rs.getBigDecimal("total_amount"), rs.getString("currency")).rounded().amount(),
                rs.getBigDecimal("co2e_grams"), BillingPolicy.PricingMode.valueOf(rs.getString("pricing_mode")),
                BillingPolicy.Uncertainty.valueOf(rs.getString("uncertainty")), rs.getString("stripe_invoice_id"),
                rs.getTimestamp("created_at").toInstant(), paid == null ? null : paid.toInstant(), lines);
    }
}
