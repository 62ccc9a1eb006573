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
class AllocationLedger {

    private final JdbcClient jdbc;
    private final Tenants tenants;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    AllocationLedger(JdbcClient jdbc, Tenants tenants, ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.tenants = tenants;
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

    @EventListener
    void on(InvoicePaid paid) {
        UUID tenantId = paid.tenantId();
        // serialise allocation per tenant: the carried-forward balance is shared between invoices
        jdbc.sql("select id from tenants where id = ? for update").param(tenantId).query(UUID.class).single();
        record Uncovered(UUID emissionRecordId, Co2eMass remaining) {
        }
        List<Uncovered> uncovered = jdbc.sql("""
                select e.id, e.co2e_grams_location - coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                                join emission_records v on v.id = a.emission_record_id
                                                               where v.inference_request_id = e.inference_request_id),
                                                              0)
                  from invoice_lines l
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where l.invoice_id = ?
                 order by r.ended_at, e.id""")
                .param(paid.invoiceId())
                .query((rs, n) -> new Uncovered(rs.getObject(1, UUID.class),
                        Co2eMass.ofGrams(rs.getBigDecimal(2).max(java.math.BigDecimal.ZERO))))
                .list().stream().filter(u -> u.remaining().grams().signum() > 0).toList();
        Co2eMass needed = uncovered.stream().map(Uncovered::remaining).reduce(Co2eMass.ZERO, Co2eMass::plus);

        Deque<Open> open = new ArrayDeque<>(jdbc.sql("""
                select t.id, t.co2e_grams - coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                       where a.retirement_id = t.id), 0) as balance
                  from offset_retirements t where t.tenant_id = ? order by t.retired_at, t.id""")
                .param(tenantId)
                .query((rs, n) -> new Open(rs.getObject(1, UUID.class), Co2eMass.ofGrams(rs.getBigDecimal(2))))
                .list().stream().filter(o -> !o.remaining.isZero()).toList());
        Co2eMass balance = open.stream().map(o -> o.remaining).reduce(Co2eMass.ZERO, Co2eMass::plus);
        if (needed.compareTo(balance) > 0) {
            long tonnes = needed.minus(balance).wholeTonnesToCover();
            retire(tenantId, paid, tonnes).forEach(open::addLast);
        }

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
                        .params(UUID.randomUUID(), retirement.id, u.emissionRecordId(), tenantId, take.grams(),
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
        events.publishEvent(new OffsetsAllocated(tenantId, paid.invoiceId(), allocated.grams(),
                needed.minus(allocated).grams()));
    }

    @EventListener
    void on(InvoicePaymentReversed reversed) {
        jdbc.sql("select id from tenants where id = ? for update").param(reversed.tenantId()).query(UUID.class)
                .single();
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

    /** Retires up to {@code tonnes} whole credits, oldest vintage and lot first; fewer when inventory runs out. */
    private List<Open> retire(UUID tenantId, InvoicePaid paid, long tonnes) {
        List<OffsetLot> lots = jdbc.sql("""
                select * from offset_lots where retired_tonnes < serial_last - serial_first + 1
                 order by vintage, created_at, id for update""")
                .query(OffsetLots::map).list();
        String beneficiary = tenants.get(tenantId).name();
        Instant now = clock.instant();
        List<Open> retired = new java.util.ArrayList<>();
        long missing = tonnes;
        for (OffsetLot lot : lots) {
            if (missing == 0) {
                break;
            }
            long take = Math.min(missing, lot.availableTonnes());
            long first = lot.serialFirst() + lot.retiredTonnes();
            long last = first + take - 1;
            UUID id = UUID.randomUUID();
            jdbc.sql("""
                    insert into offset_retirements (id, lot_id, tenant_id, invoice_id, serial_first, serial_last,
                        co2e_grams, registry_retirement_id, beneficiary, reason, retired_at)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(id, lot.id(), tenantId, paid.invoiceId(), first, last,
                            Co2eMass.ofTonnes(take).grams(), lot.serialPrefix() + "-" + first + "-" + last,
                            beneficiary, "Emissions of AI inference billed on invoice " + paid.invoiceNumber(),
                            Timestamp.from(now))
                    .update();
            jdbc.sql("update offset_lots set retired_tonnes = retired_tonnes + ? where id = ?")
                    .params(take, lot.id()).update();
            retired.add(new Open(id, Co2eMass.ofTonnes(take)));
            missing -= take;
        }
        return retired;
    }

}
