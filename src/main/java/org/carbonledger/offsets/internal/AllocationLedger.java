package org.carbonledger.offsets.internal;


import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import org.carbonledger.billing.ClimateOrderEventReceived;
import org.carbonledger.billing.InvoicePaid;
import org.carbonledger.billing.InvoicePaymentReversed;
import org.carbonledger.offsets.OffsetsReversed;
import org.carbonledger.offsets.OffsetLot;
import org.carbonledger.offsets.OffsetLots;
import org.carbonledger.offsets.OffsetsAllocated;
import org.carbonledger.offsets.AllocationPolicies;
import org.carbonledger.offsets.AllocationPolicy;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.annotation.Transactional;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.workload.Tenants;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * When an invoice is paid, covers its emission records gram-exactly: first from the tenant's retired but not yet
 * allocated balance (carried forward from earlier retirements), then by retiring whole tonnes — the next free
 * serials of the oldest lots — and allocating them record by record. What inventory cannot cover stays uncovered.
 * The database refuses over-allocation and double retirement of a serial (triggers in V1). A record that restates
 * one covered before is covered only for what its request's earlier versions did not already cover.
 *
 * <p>When the payment of an invoice is reversed (refund, lost dispute), every allocation to the records billed on it
 * is reversed by a compensating row (the ledger is append-only). The credits stay retired — a registry retirement
 * cannot be undone — and the freed mass returns to the tenant's carried-forward balance, which covers the next paid
 * invoice first.
 */
@Component
public class AllocationLedger {

    private final JdbcClient jdbc;
    private final Tenants tenants;
    private final AllocationPolicies policies;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    AllocationLedger(JdbcClient jdbc, Tenants tenants, AllocationPolicies policies, ApplicationEventPublisher events,
            Clock clock) {
        this.jdbc = jdbc;
        this.tenants = tenants;
        this.policies = policies;
        this.events = events;
        this.clock = clock;
    }

    private static final class Open {
        final UUID id;
        Co2eMass remaining;

        Open(UUID id, Co2eMass remaining) {
            this.id = id;
            this.remaining = remaining;
        }
    }

    private record Uncovered(UUID emissionRecordId, Co2eMass remaining) {
    }

    /** What of each emission record is not covered yet (net of every version of its request), oldest request first. */
    private List<Uncovered> uncovered(String where, Object... params) {
        return jdbc.sql("""
                select e.id, e.co2e_grams_location - coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                                join emission_records v on v.id = a.emission_record_id
                                                               where v.inference_request_id = e.inference_request_id),
                                                              0)
                                                   - coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                                                                join emission_records v on v.id = m.emission_record_id
                                                               where v.inference_request_id = e.inference_request_id
                                                                 and m.status <> 'RELEASED'), 0)
                  from invoice_lines l
                  join invoices i on i.id = l.invoice_id
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where %s
                 order by r.ended_at, e.id""".formatted(where))
                .params(params)
                .query((rs, n) -> new Uncovered(rs.getObject(1, UUID.class),
                        Co2eMass.ofGrams(rs.getBigDecimal(2).max(java.math.BigDecimal.ZERO))))
                .list().stream().filter(u -> u.remaining().grams().signum() > 0).toList();
    }

    /** Grams of one emission record to procure credits for. */
    public record Outstanding(UUID emissionRecordId, java.math.BigDecimal co2eGrams) {
    }

    /**
     * What the tenant's paid invoices billed and neither retired credits nor pending Stripe Climate orders cover,
     * record by record, oldest request first; locks the tenant until the caller's transaction ends.
     */
    public List<Outstanding> outstandingPaid(UUID tenantId) {
        lockTenant(tenantId);
        return uncovered("i.tenant_id = ? and i.status = 'PAID'", tenantId).stream()
                .map(u -> new Outstanding(u.emissionRecordId(), u.remaining().grams())).toList();
    }

    /** The tenant's retirements with mass not yet allocated, oldest first. */
    private Deque<Open> openRetirements(UUID tenantId) {
        return new ArrayDeque<>(jdbc.sql("""
                select t.id, t.co2e_grams - coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                       where a.retirement_id = t.id), 0) as balance
                  from offset_retirements t where t.tenant_id = ? order by t.retired_at, t.id""")
                .param(tenantId)
                .query((rs, n) -> new Open(rs.getObject(1, UUID.class), Co2eMass.ofGrams(rs.getBigDecimal(2))))
                .list().stream().filter(o -> !o.remaining.isZero()).toList());
    }

    private void lockTenant(UUID tenantId) {
        // serialise allocation per tenant: the carried-forward balance is shared between invoices
        jdbc.sql("select id from tenants where id = ? for update").param(tenantId).query(UUID.class).single();
    }

    @EventListener
    void on(InvoicePaid paid) {
        UUID tenantId = paid.tenantId();
        lockTenant(tenantId);
        List<Uncovered> uncovered = uncovered("l.invoice_id = ?", paid.invoiceId());
        Co2eMass needed = uncovered.stream().map(Uncovered::remaining).reduce(Co2eMass.ZERO, Co2eMass::plus);
        Deque<Open> open = openRetirements(tenantId);
        Co2eMass balance = open.stream().map(o -> o.remaining).reduce(Co2eMass.ZERO, Co2eMass::plus);
        if (needed.compareTo(balance) > 0) {
            long tonnes = needed.minus(balance).wholeTonnesToCover();
            retire(tenantId, paid, tonnes).forEach(open::addLast);
        }
        Co2eMass allocated = allocate(tenantId, uncovered, open);
        events.publishEvent(new OffsetsAllocated(tenantId, paid.invoiceId(), allocated.grams(),
                needed.minus(allocated).grams()));
    }

    /**
     * Covers what the tenant's paid invoices left uncovered from its carried-forward balance, retiring nothing.
     * Safe to run concurrently: the tenant lock serialises runs and the database refuses over-allocation.
     *
     * @return the grams allocated by this run
     */
    @Transactional
    public java.math.BigDecimal coverOutstanding(UUID tenantId) {
        lockTenant(tenantId);
        return allocate(tenantId, uncovered("i.tenant_id = ? and i.status = 'PAID'", tenantId),
                openRetirements(tenantId)).grams();
    }

    private Co2eMass allocate(UUID tenantId, List<Uncovered> uncovered, Deque<Open> open) {
        Instant now = clock.instant();
        Co2eMass allocated = Co2eMass.ZERO;
        for (Uncovered u : uncovered) {
            Co2eMass left = u.remaining();
            while (!left.isZero() && !open.isEmpty()) {
                Open retirement = open.peekFirst();
                Co2eMass take = left.min(retirement.remaining);
                jdbc.sql("""
                        insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id, co2e_grams,
                                                        allocated_at)
                        values (?, ?, ?, ?, ?, ?)""")
                        .params(org.carbonledger.shared.RowIds.next(), retirement.id, u.emissionRecordId(), tenantId, take.grams(),
                                Timestamp.from(now))
                        .update();
                left = left.minus(take);
                allocated = allocated.plus(take);
                retirement.remaining = retirement.remaining.minus(take);
                if (retirement.remaining.isZero()) {
                    open.removeFirst();
                }
            }
        }
        return allocated;
    }

    /** A retirement the operator made in a registry account for a tenant: whole credits of one lot. */
    public record RegistryRetirement(UUID tenantId, UUID lotId, long tonnes, String registryRetirementId,
            String beneficiary, String reason) {
    }

    /**
     * Records a registry retirement: the next free serials of the lot, checked against what the lot still holds and
     * the tenant's allocation policy, then covers the tenant's outstanding paid emissions from it.
     *
     * @return the retirement's id
     */
    @Transactional
    public UUID recordRegistryRetirement(RegistryRetirement r) {
        lockTenant(r.tenantId());
        OffsetLot lot = jdbc.sql("select * from offset_lots where id = ? for update").param(r.lotId())
                .query(OffsetLots::map).optional()
                .orElseThrow(() -> ApiProblem.invalid("lotId", "offset lot " + r.lotId() + " does not exist"));
        String refusal = policies.effective(r.tenantId()).refusal(lot);
        if (refusal != null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Lot outside the tenant's policy", refusal, "lotId");
        }
        if (r.tonnes() > lot.availableTonnes()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Retiring more than held", "retiring " + r.tonnes()
                    + " t from lot " + lot.id() + " but it holds " + lot.availableTonnes() + " t not yet retired",
                    "tonnes");
        }
        boolean idUsed = jdbc.sql("select exists (select 1 from offset_retirements where registry_retirement_id = ?)")
                .param(r.registryRetirementId()).query(Boolean.class).single();
        if (idUsed) {
            throw new ApiProblem(HttpStatus.CONFLICT, "Retirement already recorded", "registry retirement "
                    + r.registryRetirementId() + " is already recorded", "registryRetirementId");
        }
        long first = lot.serialFirst() + lot.retiredTonnes();
        UUID id = insertRetirement(lot, r.tenantId(), null, first, first + r.tonnes() - 1,
                r.registryRetirementId(), r.beneficiary(), r.reason(), "REGISTRY");
        coverOutstanding(r.tenantId());
        return id;
    }

    @EventListener
    void on(InvoicePaymentReversed reversed) {
        lockTenant(reversed.tenantId());
        Instant now = clock.instant();
        String reason = reversed.kind() + " of invoice " + reversed.invoiceNumber();
        int rows = jdbc.sql("""
                insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id, co2e_grams,
                                                allocated_at, reverses_id, reason)
                select gen_random_uuid(), a.retirement_id, a.emission_record_id, a.tenant_id, -a.co2e_grams, ?, a.id, ?
                  from offset_allocations a
                  join invoice_line_emissions b on b.emission_record_id = a.emission_record_id
                  join invoice_lines l on l.id = b.invoice_line_id
                 where l.invoice_id = ? and a.tenant_id = ? and a.reverses_id is null
                   and not exists (select 1 from offset_allocations r where r.reverses_id = a.id)""")
                .params(Timestamp.from(now), reason, reversed.invoiceId(), reversed.tenantId()).update();
        java.math.BigDecimal grams = jdbc.sql("""
                select coalesce(-sum(co2e_grams), 0) from offset_allocations where reason = ? and tenant_id = ?
                   and reverses_id is not null""").params(reason, reversed.tenantId())
                .query(java.math.BigDecimal.class).single();
        events.publishEvent(new OffsetsReversed(reversed.tenantId(), reversed.invoiceId(), rows, grams,
                reason));
    }

    @EventListener
    void on(ClimateOrderEventReceived event) {
        jdbc.sql("""
                insert into climate_order_events (event_id, type, order_id, order_status, received_at)
                values (?, ?, ?, ?, ?) on conflict (event_id) do nothing""")
                .params(event.eventId(), event.type(), event.orderId(), event.orderStatus(),
                        Timestamp.from(clock.instant()))
                .update();
    }

    /**
     * Retires up to {@code tonnes} whole credits from the lots the tenant's allocation policy allows, in its order;
     * fewer when they run out.
     */
    private List<Open> retire(UUID tenantId, InvoicePaid paid, long tonnes) {
        AllocationPolicy policy = policies.effective(tenantId);
        StringBuilder sql = new StringBuilder("""
                select l.* from offset_lots l where l.retired_tonnes < l.serial_last - l.serial_first + 1""");
        List<Object> params = new java.util.ArrayList<>();
        if (policy.removalOnly()) {
            sql.append(" and l.kind = 'REMOVAL'");
        }
        if (policy.minVintage() != null) {
            sql.append(" and l.vintage >= ?");
            params.add(policy.minVintage());
        }
        if (policy.registries() != null) {
            sql.append(" and l.registry in (").append(String.join(", ",
                    java.util.Collections.nCopies(policy.registries().size(), "?"))).append(")");
            policy.registries().forEach(r -> params.add(r.name()));
        }
        if (policy.productId() != null) {
            sql.append(" and l.product_id = ?");
            params.add(policy.productId());
        }
        sql.append(switch (policy.retirementOrder()) {
            case OLDEST_VINTAGE_FIRST -> " order by l.vintage, l.created_at, l.id";
            case NEWEST_VINTAGE_FIRST -> " order by l.vintage desc, l.created_at, l.id";
            case LOWEST_PRICE_FIRST -> " order by l.price_per_tonne, l.vintage, l.created_at, l.id";
        }).append(" for update");
        List<OffsetLot> lots = jdbc.sql(sql.toString()).params(params).query(OffsetLots::map).list();
        String beneficiary = tenants.get(tenantId).name();
        List<Open> retired = new java.util.ArrayList<>();
        long missing = tonnes;
        for (OffsetLot lot : lots) {
            if (missing == 0) {
                break;
            }
            long take = Math.min(missing, lot.availableTonnes());
            long first = lot.serialFirst() + lot.retiredTonnes();
            long last = first + take - 1;
            UUID id = insertRetirement(lot, tenantId, paid.invoiceId(), first, last,
                    lot.serialPrefix() + "-" + first + "-" + last, beneficiary,
                    "Emissions of AI inference billed on invoice " + paid.invoiceNumber(), "PAYMENT");
            retired.add(new Open(id, Co2eMass.ofTonnes(take)));
            missing -= take;
        }
        return retired;
    }

    private UUID insertRetirement(OffsetLot lot, UUID tenantId, UUID invoiceId, long first, long last,
            String registryRetirementId, String beneficiary, String reason, String source) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_retirements (id, lot_id, tenant_id, invoice_id, serial_first, serial_last,
                    co2e_grams, registry_retirement_id, beneficiary, reason, retired_at, source)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(id, lot.id(), tenantId, invoiceId, first, last, Co2eMass.ofTonnes(last - first + 1).grams(),
                        registryRetirementId, beneficiary, reason, Timestamp.from(clock.instant()), source)
                .update();
        jdbc.sql("update offset_lots set retired_tonnes = retired_tonnes + ? where id = ?")
                .params(last - first + 1, lot.id()).update();
        return id;
    }

}
