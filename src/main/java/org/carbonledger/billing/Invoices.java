package org.carbonledger.billing;

import org.carbonledger.shared.web.PageRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.Energy;
import org.carbonledger.shared.Money;
import org.carbonledger.shared.web.ApiProblem;
import org.carbonledger.workload.Tenant;
import org.carbonledger.workload.Tenants;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Billing periods are calendar months (UTC). Closing a period invoices every emission record not billed yet whose
 * request ended before the period's end — so a request reported after its period was closed lands on the next
 * invoice, never on none and never on two (an emission record is billed at most once, enforced by a unique key).
 */
@Service
public class Invoices {

    private final JdbcClient jdbc;
    private final Tenants tenants;
    private final Workloads workloads;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    Invoices(JdbcClient jdbc, Tenants tenants, Workloads workloads, ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.tenants = tenants;
        this.workloads = workloads;
        this.events = events;
        this.clock = clock;
    }

    public record Closed(Invoice invoice, boolean created) {
    }

    /** Idempotent: closing a closed period returns its invoice. */
    @Transactional
    public Closed close(UUID tenantId, YearMonth period) {
        LocalDate start = period.atDay(1);
        LocalDate end = period.plusMonths(1).atDay(1);
        Instant endInstant = end.atStartOfDay(ZoneOffset.UTC).toInstant();
        if (endInstant.isAfter(clock.instant())) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Period not ended",
                    "billing period " + period + " ends at " + endInstant + " and cannot be closed before", "period");
        }
        // one close at a time per tenant, so two concurrent closes cannot both bill the same records
        jdbc.sql("select id from tenants where id = ? for update").param(tenantId).query(UUID.class).single();
        Optional<Invoice> existing = findByPeriod(tenantId, start);
        if (existing.isPresent()) {
            return new Closed(existing.get(), false);
        }
        Tenant tenant = tenants.get(tenantId);
        Money price = tenant.pricePerTonne();
        record Unbilled(UUID emissionRecordId, UUID workloadId, java.math.BigDecimal energyJoules,
                java.math.BigDecimal co2eGrams) {
        }
        List<Unbilled> unbilled = jdbc.sql("""
                select e.id, r.workload_id, e.energy_joules, e.co2e_grams_location
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                 where e.tenant_id = ? and r.ended_at < ?
                   and e.version = (select max(v.version) from emission_records v
                                     where v.inference_request_id = e.inference_request_id)
                   and not exists (select 1 from invoice_line_emissions b where b.emission_record_id = e.id)
                 order by r.workload_id, r.ended_at, e.id""")
                .params(tenantId, Timestamp.from(endInstant))
                .query((rs, n) -> new Unbilled(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                        rs.getBigDecimal(3), rs.getBigDecimal(4)))
                .list();
        UUID invoiceId = UUID.randomUUID();
        long sequence = jdbc.sql("select nextval('invoice_numbers')").query(Long.class).single();
        String number = String.format("INV-%s-%06d", period, sequence);
        Instant now = clock.instant();
        jdbc.sql("""
                insert into invoices (id, tenant_id, number, period_start, period_end, status, currency, total_amount,
                                      co2e_grams, created_at)
                values (?, ?, ?, ?, ?, 'OPEN', ?, 0, 0, ?)""")
                .params(invoiceId, tenantId, number, start, end, price.currency().getCurrencyCode(),
                        Timestamp.from(now))
                .update();
        Money total = Money.zero(price.currency());
        Co2eMass totalMass = Co2eMass.ZERO;
        Map<UUID, List<Unbilled>> byWorkload = unbilled.stream()
                .collect(Collectors.groupingBy(Unbilled::workloadId, java.util.TreeMap::new, Collectors.toList()));
        for (var entry : byWorkload.entrySet()) {
            Workload workload = workloads.find(tenantId, entry.getKey()).orElseThrow();
            Co2eMass mass = entry.getValue().stream().map(u -> Co2eMass.ofGrams(u.co2eGrams()))
                    .reduce(Co2eMass.ZERO, Co2eMass::plus);
            Energy energy = entry.getValue().stream().map(u -> Energy.ofJoules(u.energyJoules()))
                    .reduce(Energy.ZERO, Energy::plus);
            Money amount = Money.priceOf(mass, price);
            UUID lineId = UUID.randomUUID();
            jdbc.sql("""
                    insert into invoice_lines (id, invoice_id, tenant_id, workload_id, description, request_count,
                                               energy_joules, co2e_grams, price_per_tonne, amount, currency)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(lineId, invoiceId, tenantId, workload.id(),
                            "Inference CO2e, " + workload.name() + " (" + workload.model() + ")",
                            entry.getValue().size(), energy.joules(), mass.grams(), price.amount(), amount.amount(),
                            price.currency().getCurrencyCode())
                    .update();
            for (Unbilled u : entry.getValue()) {
                jdbc.sql("insert into invoice_line_emissions (invoice_line_id, emission_record_id) values (?, ?)")
                        .params(lineId, u.emissionRecordId()).update();
            }
            total = total.plus(amount);
            totalMass = totalMass.plus(mass);
        }
        jdbc.sql("update invoices set total_amount = ?, co2e_grams = ? where id = ?")
                .params(total.amount(), totalMass.grams(), invoiceId).update();
        return new Closed(get(tenantId, invoiceId), true);
    }

    /** Records an offline payment of the full amount and publishes {@link InvoicePaid}. */
    @Transactional
    public Invoice payOffline(UUID tenantId, UUID invoiceId, String reference) {
        Invoice invoice = jdbc.sql("select * from invoices where id = ? and tenant_id = ? for update")
                .params(invoiceId, tenantId).query((rs, n) -> map(rs, List.of())).optional()
                .orElseThrow(() -> ApiProblem.notFound("invoice", invoiceId));
        if (invoice.status() != Invoice.Status.OPEN) {
            throw ApiProblem.conflict("invoice " + invoice.number() + " is already " + invoice.status());
        }
        Invoice.Status next = invoice.status().pay();
        Instant now = clock.instant();
        String ref = reference == null || reference.isBlank() ? "offline-" + invoice.number() : reference;
        boolean referenceUsed = jdbc.sql("""
                select exists (select 1 from payments where tenant_id = ? and provider = 'OFFLINE'
                                                       and provider_reference = ?)""")
                .params(tenantId, ref).query(Boolean.class).single();
        if (referenceUsed) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Conflict", "payment reference '" + ref
                    + "' was already used for another invoice", "reference");
        }
        jdbc.sql("""
                insert into payments (id, invoice_id, tenant_id, provider, provider_reference, amount, currency,
                                      received_at)
                values (?, ?, ?, 'OFFLINE', ?, ?, ?, ?)""")
                .params(UUID.randomUUID(), invoiceId, tenantId, ref, invoice.totalAmount(), invoice.currency(),
                        Timestamp.from(now))
                .update();
        jdbc.sql("update invoices set status = ?, paid_at = ? where id = ?")
                .params(next.name(), Timestamp.from(now), invoiceId).update();
        events.publishEvent(new InvoicePaid(tenantId, invoiceId, invoice.number()));
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

    private Optional<Invoice> findByPeriod(UUID tenantId, LocalDate start) {
        return jdbc.sql("select id from invoices where tenant_id = ? and period_start = ?").params(tenantId, start)
                .query(UUID.class).optional().map(id -> get(tenantId, id));
    }

    private List<Invoice.Line> lines(UUID invoiceId) {
        return jdbc.sql("select * from invoice_lines where invoice_id = ? order by description, id").param(invoiceId)
                .query((rs, n) -> new Invoice.Line(rs.getObject("id", UUID.class),
                        rs.getObject("workload_id", UUID.class), rs.getString("description"),
                        rs.getLong("request_count"), rs.getBigDecimal("energy_joules"), rs.getBigDecimal("co2e_grams"),
                        rs.getBigDecimal("price_per_tonne"),
                        Money.of(rs.getBigDecimal("amount"), rs.getString("currency")).rounded().amount(),
                        rs.getString("currency")))
                .list();
    }

    private static Invoice map(ResultSet rs, List<Invoice.Line> lines) throws SQLException {
        Timestamp paid = rs.getTimestamp("paid_at");
        return new Invoice(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("number"), rs.getObject("period_start", LocalDate.class),
                rs.getObject("period_end", LocalDate.class), Invoice.Status.valueOf(rs.getString("status")),
                rs.getString("currency"),
                Money.of(rs.getBigDecimal("total_amount"), rs.getString("currency")).rounded().amount(),
                rs.getBigDecimal("co2e_grams"),
                rs.getTimestamp("created_at").toInstant(), paid == null ? null : paid.toInstant(), lines);
    }
}
