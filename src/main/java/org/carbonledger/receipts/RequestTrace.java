package org.carbonledger.receipts;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * The chain of one request, link by link along the foreign keys: request → emission records (every version) →
 * invoice line → allocations → retirements (serials) → receipt. Links not made yet are null or empty.
 */
@Service
public class RequestTrace {

    public record Trace(Request request, List<EmissionRecord> emissionRecords, InvoiceLine invoiceLine,
            List<Allocation> allocations, List<ClimateOrderEarmark> climateOrders, ReceiptLink receipt,
            RequestCoverage coverage) {
    }

    /**
     * Grams of one emission record a Stripe Climate order is for: {@code PENDING} (ordered, not delivered),
     * {@code RETIRED} (delivered) or {@code RELEASED} (the order was canceled); with the order's flags.
     */
    public record ClimateOrderEarmark(UUID climateOrderId, String stripeOrderId, UUID emissionRecordId,
            BigDecimal co2eGrams, String status, String orderStatus, Integer expectedDeliveryYear,
            Instant deliveredAt, List<String> registryUrls, List<OrderNotice> notices) {
    }

    public record OrderNotice(String kind, String detail, Instant at) {
    }

    public record Request(UUID id, String requestId, UUID workloadId, String workloadName, String model,
            String region, long inputTokens, long outputTokens, Instant startedAt, Instant endedAt,
            Instant receivedAt, String source, String traceId, String spanId, String nodeId) {
    }

    public record EmissionRecord(UUID id, int version, String methodologyVersion, BigDecimal energyJoules,
            BigDecimal energyJoulesLow, BigDecimal energyJoulesHigh, BigDecimal pue, BigDecimal co2eGramsLocationBased,
            BigDecimal co2eGramsMarketBased, BigDecimal co2eGramsLow, BigDecimal co2eGramsHigh, Factor factor,
            Instant calculatedAt) {
    }

    public record Factor(UUID id, String provider, String region, String basis, BigDecimal gco2ePerKwh,
            String datasetVersion, String source, String sourceReference) {
    }

    public record InvoiceLine(UUID invoiceId, String invoiceNumber, String invoiceStatus, UUID lineId,
            String description, UUID emissionRecordId) {
    }

    public record Allocation(UUID id, BigDecimal co2eGrams, UUID emissionRecordId, UUID retirementId,
            String registryRetirementId, String registry, String projectId, String projectName, int vintage,
            String serialRange, Instant retiredAt) {
    }

    /**
     * How far retired credits cover the request's latest emission record: {@code COVERED}, {@code PENDING_DELIVERY}
     * (the rest is ordered from Stripe Climate and not delivered yet), {@code PENDING_PAYMENT} (billed on an invoice
     * awaiting payment; credits are retired when it is paid), {@code PARTLY_COVERED} or {@code UNCOVERED} — the
     * per-request view of the coverage report. {@code pendingDeliveryGrams} are ordered and not delivered; they are
     * part of {@code uncoveredGrams} until delivered.
     */
    public record RequestCoverage(CoverageStatus status, BigDecimal coveredGrams, BigDecimal pendingDeliveryGrams,
            BigDecimal uncoveredGrams) {
    }

    public enum CoverageStatus { COVERED, PENDING_DELIVERY, PENDING_PAYMENT, PARTLY_COVERED, UNCOVERED }

    public record ReceiptLink(UUID id, String number, Instant issuedAt, String pdfSha256, String pdfPath) {
    }

    private final JdbcClient jdbc;

    RequestTrace(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Trace> of(UUID tenantId, String requestId) {
        Optional<Request> request = jdbc.sql("""
                select r.id, r.request_id, r.workload_id, w.name, w.model, w.region, r.input_tokens, r.output_tokens,
                       r.started_at, r.ended_at, r.received_at, r.source, r.trace_id, r.span_id, r.node_id
                  from inference_requests r join workloads w on w.id = r.workload_id
                 where r.tenant_id = ? and r.request_id = ?""")
                .params(tenantId, requestId)
                .query((rs, n) -> new Request(rs.getObject(1, UUID.class), rs.getString(2), rs.getObject(3, UUID.class),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8),
                        rs.getTimestamp(9).toInstant(), rs.getTimestamp(10).toInstant(),
                        rs.getTimestamp(11).toInstant(), rs.getString(12), rs.getString(13), rs.getString(14),
                        rs.getString(15)))
                .optional();
        return request.map(r -> new Trace(r, emissionRecords(r.id()), invoiceLine(r.id()), allocations(r.id()),
                climateOrders(r.id()), receipt(r.id()), coverage(r.id())));
    }

    private RequestCoverage coverage(UUID inferenceRequestId) {
        return jdbc.sql("""
                select e.co2e_grams_location,
                       least(e.co2e_grams_location,
                             greatest(0, coalesce((select sum(a.co2e_grams) from offset_allocations a
                                                     join emission_records v on v.id = a.emission_record_id
                                                    where v.inference_request_id = e.inference_request_id), 0)
                                       + coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                                                     join emission_records v on v.id = m.emission_record_id
                                                    where v.inference_request_id = e.inference_request_id
                                                      and m.status = 'RETIRED'), 0))),
                       exists (select 1 from emission_records v
                                 join invoice_line_emissions b on b.emission_record_id = v.id
                                 join invoice_lines il on il.id = b.invoice_line_id
                                 join invoices i on i.id = il.invoice_id
                                where v.inference_request_id = e.inference_request_id
                                  and i.status in ('OPEN', 'FINALIZED', 'PAYMENT_FAILED')),
                       coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                                   join emission_records v on v.id = m.emission_record_id
                                  where v.inference_request_id = e.inference_request_id
                                    and m.status = 'PENDING'), 0)
                  from emission_records e
                 where e.inference_request_id = ?
                 order by e.version desc limit 1""")
                .param(inferenceRequestId)
                .query((rs, n) -> {
                    BigDecimal emitted = rs.getBigDecimal(1);
                    BigDecimal covered = rs.getBigDecimal(2);
                    BigDecimal ordered = rs.getBigDecimal(4).min(emitted.subtract(covered));
                    CoverageStatus status = covered.compareTo(emitted) >= 0 ? CoverageStatus.COVERED
                            : ordered.signum() > 0 ? CoverageStatus.PENDING_DELIVERY
                            : rs.getBoolean(3) ? CoverageStatus.PENDING_PAYMENT
                            : covered.signum() > 0 ? CoverageStatus.PARTLY_COVERED : CoverageStatus.UNCOVERED;
                    return new RequestCoverage(status, covered, ordered, emitted.subtract(covered));
                })
                .optional().orElse(null);
    }

    private List<ClimateOrderEarmark> climateOrders(UUID inferenceRequestId) {
        return jdbc.sql("""
                select o.id, o.stripe_order_id, m.emission_record_id, m.co2e_grams, m.status, o.status,
                       o.expected_delivery_year, o.delivered_at
                  from emission_records e
                  join climate_order_earmarks m on m.emission_record_id = e.id
                  join climate_orders o on o.id = m.order_id
                 where e.inference_request_id = ?
                 order by m.created_at, o.id""")
                .param(inferenceRequestId)
                .query((rs, n) -> {
                    UUID order = rs.getObject(1, UUID.class);
                    return new ClimateOrderEarmark(order, rs.getString(2), rs.getObject(3, UUID.class),
                            rs.getBigDecimal(4), rs.getString(5), rs.getString(6),
                            (Integer) rs.getObject(7), rs.getTimestamp(8) == null ? null
                                    : rs.getTimestamp(8).toInstant(),
                            jdbc.sql("""
                                    select registry_url from climate_order_deliveries
                                     where order_id = ? and registry_url is not null order by position""")
                                    .param(order).query(String.class).list(),
                            jdbc.sql("""
                                    select kind, detail, created_at from climate_order_notices where order_id = ?
                                     order by created_at, kind""").param(order)
                                    .query((r2, n2) -> new OrderNotice(r2.getString(1), r2.getString(2),
                                            r2.getTimestamp(3).toInstant())).list());
                })
                .list();
    }

    private List<EmissionRecord> emissionRecords(UUID inferenceRequestId) {
        return jdbc.sql("""
                select e.*, f.provider, f.region, f.basis, f.gco2e_per_kwh, f.dataset_version, f.source,
                       f.source_reference
                  from emission_records e join emission_factors f on f.id = e.emission_factor_id
                 where e.inference_request_id = ? order by e.version""")
                .param(inferenceRequestId)
                .query((rs, n) -> new EmissionRecord(rs.getObject("id", UUID.class), rs.getInt("version"),
                        rs.getString("methodology_version"), rs.getBigDecimal("energy_joules"),
                        rs.getBigDecimal("energy_joules_low"), rs.getBigDecimal("energy_joules_high"),
                        rs.getBigDecimal("pue"), rs.getBigDecimal("co2e_grams_location"),
                        rs.getBigDecimal("co2e_grams_market"), rs.getBigDecimal("co2e_grams_low"),
                        rs.getBigDecimal("co2e_grams_high"),
                        new Factor(rs.getObject("emission_factor_id", UUID.class), rs.getString("provider"),
                                rs.getString("region"), rs.getString("basis"), rs.getBigDecimal("gco2e_per_kwh"),
                                rs.getString("dataset_version"), rs.getString("source"),
                                rs.getString("source_reference")),
                        rs.getTimestamp("calculated_at").toInstant()))
                .list();
    }

    private InvoiceLine invoiceLine(UUID inferenceRequestId) {
        return jdbc.sql("""
                select i.id, i.number, i.status, l.id, l.description, b.emission_record_id
                  from emission_records e
                  join invoice_line_emissions b on b.emission_record_id = e.id
                  join invoice_lines l on l.id = b.invoice_line_id
                  join invoices i on i.id = l.invoice_id
                 where e.inference_request_id = ?
                 order by e.version desc limit 1""")
                .param(inferenceRequestId)
                .query((rs, n) -> new InvoiceLine(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        rs.getObject(4, UUID.class), rs.getString(5), rs.getObject(6, UUID.class)))
                .optional().orElse(null);
    }

    private List<Allocation> allocations(UUID inferenceRequestId) {
        return jdbc.sql("""
                select a.id, a.co2e_grams, a.emission_record_id, t.id, t.registry_retirement_id, l.registry,
                       l.project_id, l.project_name, l.vintage, l.serial_prefix, t.serial_first, t.serial_last,
                       t.retired_at
                  from emission_records e
                  join offset_allocations a on a.emission_record_id = e.id
                  join offset_retirements t on t.id = a.retirement_id
                  join offset_lots l on l.id = t.lot_id
                 where e.inference_request_id = ?
                 order by t.retired_at, a.id""")
                .param(inferenceRequestId)
                .query((rs, n) -> new Allocation(rs.getObject(1, UUID.class), rs.getBigDecimal(2),
                        rs.getObject(3, UUID.class), rs.getObject(4, UUID.class), rs.getString(5), rs.getString(6),
                        rs.getString(7), rs.getString(8), rs.getInt(9),
                        serialRange(rs.getString(10), rs.getLong(11), rs.getLong(12)),
                        rs.getTimestamp(13).toInstant()))
                .list();
    }

    private static String serialRange(String prefix, long first, long last) {
        return first == last ? prefix + "-" + first : prefix + "-" + first + " to " + prefix + "-" + last;
    }

    private ReceiptLink receipt(UUID inferenceRequestId) {
        return jdbc.sql("""
                select rc.id, rc.number, rc.issued_at, rc.pdf_sha256
                  from emission_records e
                  join invoice_line_emissions b on b.emission_record_id = e.id
                  join invoice_lines l on l.id = b.invoice_line_id
                  join receipts rc on rc.invoice_id = l.invoice_id
                 where e.inference_request_id = ?
                 order by e.version desc limit 1""")
                .param(inferenceRequestId)
                .query((rs, n) -> new ReceiptLink(rs.getObject(1, UUID.class), rs.getString(2),
                        rs.getTimestamp(3).toInstant(), rs.getString(4), "/v1/receipts/" + rs.getObject(1) + "/pdf"))
                .optional().orElse(null);
    }
}
