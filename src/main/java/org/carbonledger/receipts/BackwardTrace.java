package org.carbonledger.receipts;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * The chain read backwards: a receipt → the requests it covers (cursor-paginated, by request id), and a retired
 * serial → the emissions it cancels. One serial is one tonne of its retirement; the retirement's allocations fill its
 * tonnes in allocation order (allocated at, then id), so serial k of a retirement starting at serial f covers grams
 * [(k − f) × 10⁶, (k − f + 1) × 10⁶) of that order.
 */
@Service
public class BackwardTrace {

    private static final BigDecimal TONNE_GRAMS = BigDecimal.valueOf(1_000_000);

    private final JdbcClient jdbc;

    BackwardTrace(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public record CoveredRequest(String requestId, UUID emissionRecordId, int emissionRecordVersion,
            BigDecimal co2eGramsLocationBased, UUID invoiceLineId) {
    }

    public record RequestPage(UUID receiptId, String receiptNumber, List<CoveredRequest> items, String nextCursor) {
    }

    public record SerialTrace(String serial, String registry, String projectId, String projectName, int vintage,
            UUID retirementId, String registryRetirementId, UUID invoiceId, List<CancelledEmission> emissions) {
    }

    public record CancelledEmission(String requestId, UUID emissionRecordId, UUID allocationId,
            BigDecimal co2eGramsCancelledBySerial) {
    }

    /** The receipt's requests after {@code cursor} (null for the first page); empty if no such receipt. */
    public Optional<RequestPage> requestsOf(UUID tenantId, UUID receiptId, String cursor, int limit) {
        record Head(UUID invoiceId, String number) {
        }
        Optional<Head> head = jdbc.sql("select invoice_id, number from receipts where tenant_id = ? and id = ?")
                .params(tenantId, receiptId).query((rs, n) -> new Head(rs.getObject(1, UUID.class), rs.getString(2)))
                .optional();
        if (head.isEmpty()) {
            return Optional.empty();
        }
        String after = cursor == null ? "" : decode(cursor);
        List<CoveredRequest> rows = jdbc.sql("""
                select r.request_id, e.id, e.version, e.co2e_grams_location, l.id
                  from invoice_lines l
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where l.invoice_id = ? and l.tenant_id = ? and r.request_id > ?
                 order by r.request_id, e.version
                 limit ?""")
                .params(head.get().invoiceId(), tenantId, after, limit + 1)
                .query((rs, n) -> new CoveredRequest(rs.getString(1), rs.getObject(2, UUID.class), rs.getInt(3),
                        rs.getBigDecimal(4), rs.getObject(5, UUID.class)))
                .list();
        String next = null;
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            next = encode(rows.get(rows.size() - 1).requestId());
        }
        return Optional.of(new RequestPage(receiptId, head.get().number(), rows, next));
    }

    /** Decodes a cursor; {@link IllegalArgumentException} when it is not one of ours. */
    public static String decode(String cursor) {
        String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        if (!text.startsWith("r:")) {
            throw new IllegalArgumentException("not a cursor");
        }
        return text.substring(2);
    }

    static String encode(String requestId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("r:" + requestId)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The emissions cancelled by serial {@code prefix-number}, if the tenant retired it. Allocations that a refund or
     * lost dispute reversed no longer cancel anything: only the retirement's standing allocations fill its tonnes.
     *
     * @throws IllegalArgumentException if the serial is not of the form PREFIX-NUMBER
     */
    public Optional<SerialTrace> serial(UUID tenantId, String serial) {
        int dash = serial.lastIndexOf('-');
        if (dash <= 0 || dash == serial.length() - 1) {
            throw new IllegalArgumentException("a serial is PREFIX-NUMBER, e.g. VCS-981-50012");
        }
        String prefix = serial.substring(0, dash);
        long number;
        try {
            number = Long.parseLong(serial.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a serial ends in its number, e.g. VCS-981-50012");
        }
        record Ret(UUID id, String registryRetirementId, UUID invoiceId, long first, String registry,
                String projectId, String projectName, int vintage) {
        }
        Optional<Ret> retirement = jdbc.sql("""
                select t.id, t.registry_retirement_id, t.invoice_id, t.serial_first, l.registry, l.project_id,
                       l.project_name, l.vintage
                  from offset_retirements t join offset_lots l on l.id = t.lot_id
                 where t.tenant_id = ? and l.serial_prefix = ? and ? between t.serial_first and t.serial_last""")
                .params(tenantId, prefix, number)
                .query((rs, n) -> new Ret(rs.getObject(1, UUID.class), rs.getString(2), rs.getObject(3, UUID.class),
                        rs.getLong(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8)))
                .optional();
        if (retirement.isEmpty()) {
            return Optional.empty();
        }
        Ret t = retirement.get();
        BigDecimal low = TONNE_GRAMS.multiply(BigDecimal.valueOf(number - t.first()));
        BigDecimal high = low.add(TONNE_GRAMS);
        List<CancelledEmission> emissions = jdbc.sql("""
                with a as (select a.id, a.emission_record_id, a.co2e_grams,
                                  sum(a.co2e_grams) over (order by a.allocated_at, a.id) - a.co2e_grams as start_g
                             from offset_allocations a
                            where a.retirement_id = ? and a.reverses_id is null
                              and not exists (select 1 from offset_allocations x where x.reverses_id = a.id))
                select r.request_id, a.emission_record_id, a.id,
                       least(a.start_g + a.co2e_grams, ?) - greatest(a.start_g, ?)
                  from a
                  join emission_records e on e.id = a.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where a.start_g < ? and a.start_g + a.co2e_grams > ?
                 order by a.start_g""")
                .params(t.id(), high, low, high, low)
                .query((rs, n) -> new CancelledEmission(rs.getString(1), rs.getObject(2, UUID.class),
                        rs.getObject(3, UUID.class), rs.getBigDecimal(4)))
                .list();
        return Optional.of(new SerialTrace(prefix + "-" + number, t.registry(), t.projectId(), t.projectName(),
                t.vintage(), t.id(), t.registryRetirementId(), t.invoiceId(), emissions));
    }
}
