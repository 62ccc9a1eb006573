package org.carbonledger.receipts.internal;

import org.carbonledger.shared.Sha256;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.carbonledger.billing.Invoice;
import org.carbonledger.billing.Invoices;
import org.carbonledger.offsets.OffsetsAllocated;
import org.carbonledger.offsets.Retirement;
import org.carbonledger.offsets.Retirements;
import org.carbonledger.receipts.TransparencyLog;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.pdf.ReceiptContent;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.carbonledger.receipts.signing.PadesReceiptSigner;
import org.carbonledger.receipts.storage.ReceiptStore;
import org.carbonledger.shared.Energy;
import org.carbonledger.workload.Tenant;
import org.carbonledger.workload.Tenants;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issues the signed receipt of a paid invoice once its offsets are allocated, in the payment transaction. The JSON
 * manifest attached to the PDF lists every request the receipt covers, with its emission record and allocations, so
 * the receipt alone lets anyone check that a request is in it and what was retired for it.
 */
@Component
class ReceiptIssuer {

    static final String MANIFEST_FORMAT = "carbonledger-receipt/1";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JdbcClient jdbc;
    private final Invoices invoices;
    private final Retirements retirements;
    private final Tenants tenants;
    private final Workloads workloads;
    private final ReceiptRenderer renderer;
    private final PadesReceiptSigner signer;
    private final ReceiptStore store;
    private final TransparencyLog log;
    private final String verificationUrl;
    private final Clock clock;

    ReceiptIssuer(JdbcClient jdbc, Invoices invoices, Retirements retirements, Tenants tenants, Workloads workloads,
            ReceiptRenderer renderer, PadesReceiptSigner signer, ReceiptStore store, TransparencyLog log, Clock clock,
            @org.springframework.beans.factory.annotation.Value("${carbonledger.public-url}") String publicUrl) {
        this.log = log;
        this.verificationUrl = publicUrl.replaceAll("/+$", "") + "/v1/receipts/verify";
        this.jdbc = jdbc;
        this.invoices = invoices;
        this.retirements = retirements;
        this.tenants = tenants;
        this.workloads = workloads;
        this.renderer = renderer;
        this.signer = signer;
        this.store = store;
        this.clock = clock;
    }

    private record RequestRow(String requestId, UUID emissionRecordId, int version, String methodologyVersion,
            String factorDatasetVersion, BigDecimal energyJoules, BigDecimal co2eLocation, BigDecimal co2eMarket,
            BigDecimal co2eLow, BigDecimal co2eHigh, UUID lineId) {
    }

    @EventListener
    @Order(LogAppender.ORDER + 10)
    void on(OffsetsAllocated allocated) {
        Invoice invoice = invoices.get(allocated.tenantId(), allocated.invoiceId());
        Tenant tenant = tenants.get(invoice.tenantId());
        Instant issuedAt = clock.instant();
        String number = "R-" + invoice.number();

        List<RequestRow> requests = jdbc.sql("""
                select r.request_id, e.id, e.version, e.methodology_version, f.dataset_version, e.energy_joules,
                       e.co2e_grams_location, e.co2e_grams_market, e.co2e_grams_low, e.co2e_grams_high, l.id
                  from invoice_lines l
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join emission_factors f on f.id = e.emission_factor_id
                  join inference_requests r on r.id = e.inference_request_id
                 where l.invoice_id = ?
                 order by r.request_id""")
                .param(invoice.id())
                .query((rs, n) -> new RequestRow(rs.getString(1), rs.getObject(2, UUID.class), rs.getInt(3),
                        rs.getString(4), rs.getString(5), rs.getBigDecimal(6), rs.getBigDecimal(7),
                        rs.getBigDecimal(8), rs.getBigDecimal(9), rs.getBigDecimal(10), rs.getObject(11, UUID.class)))
                .list();
        Map<UUID, List<Map<String, Object>>> allocationsByRecord = allocationsOf(invoice.id());

        BigDecimal energyJoules = sum(requests, RequestRow::energyJoules);
        BigDecimal location = sum(requests, RequestRow::co2eLocation);
        BigDecimal market = sum(requests, RequestRow::co2eMarket);
        BigDecimal low = sum(requests, RequestRow::co2eLow);
        BigDecimal high = sum(requests, RequestRow::co2eHigh);
        String methodologies = join(requests.stream().map(RequestRow::methodologyVersion).toList());
        String datasets = join(requests.stream().map(RequestRow::factorDatasetVersion).toList());
        List<Retirement> covering = retirements.forInvoice(tenant.id(), invoice.id());
        // the log already holds this invoice's records and allocations (LogAppender runs first)
        Checkpoint checkpoint = log.checkpoint();

        List<ReceiptContent.Line> lines = new ArrayList<>();
        for (Invoice.Line line : invoice.lines()) {
            if (line.workloadId() == null) {
                lines.add(new ReceiptContent.Line(line.description(), "-", 0, BigDecimal.ZERO, line.co2eGrams(),
                        line.amount(), line.currency()));
                continue;
            }
            Workload workload = workloads.find(tenant.id(), line.workloadId()).orElseThrow();
            String basis = (invoice.uncertainty() == org.carbonledger.billing.BillingPolicy.Uncertainty.UPPER_BOUND
                    ? " (upper bound)" : "") + switch (line.kind()) {
                        case ADJUSTMENT -> ", adjustment";
                        case CREDIT_NOTE -> ", credit note";
                        default -> "";
                    };
            lines.add(new ReceiptContent.Line(workload.name() + basis, workload.model(), line.requestCount(),
                    Energy.ofJoules(line.energyJoules()).kilowattHours(), line.co2eGrams(), line.amount(),
                    line.currency()));
        }
        List<ReceiptContent.Offset> offsets = covering.stream().map(r -> new ReceiptContent.Offset(
                r.registry().name(), r.projectId(), r.projectName(), r.vintage(), r.serialRange(),
                r.registryRetirementId(), r.tonnes(), r.gramsAllocated(), "RETIRED")).toList();
        ReceiptContent content = new ReceiptContent(number, tenant.name(), tenant.id(), invoice.number(),
                invoice.periodStart(), invoice.periodEnd(), issuedAt, Energy.ofJoules(energyJoules).kilowattHours(),
                location, market, low, high, methodologies.isEmpty() ? "none" : methodologies,
                datasets.isEmpty() ? "none" : datasets, lines, offsets, invoice.totalAmount(), invoice.currency(),
                tenant.pricePerTonne().amount(), new ReceiptContent.LogCommitment(checkpoint.treeSize(),
                checkpoint.rootHashHex(), checkpoint.timestamp()), verificationUrl);

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", MANIFEST_FORMAT);
        manifest.put("receiptNumber", number);
        manifest.put("issuedAt", issuedAt.toString());
        manifest.put("tenant", Map.of("id", tenant.id().toString(), "name", tenant.name()));
        manifest.put("invoice", ordered("id", invoice.id().toString(), "number", invoice.number(),
                "periodStart", invoice.periodStart().toString(), "periodEndExclusive", invoice.periodEnd().toString(),
                "currency", invoice.currency(), "totalAmount", invoice.totalAmount(),
                "pricingMode", invoice.pricingMode().name(), "uncertainty", invoice.uncertainty().name(),
                "pricePerTonne", tenant.pricePerTonne().amount()));
        manifest.put("totals", ordered("energyJoules", energyJoules, "co2eGramsLocationBased", location,
                "co2eGramsMarketBased", market, "co2eGramsLow", low, "co2eGramsHigh", high,
                "co2eGramsAllocated", allocated.allocatedGrams(), "co2eGramsUncovered", allocated.uncoveredGrams()));
        manifest.put("methodologyVersions", methodologies);
        manifest.put("factorDatasetVersions", datasets);
        manifest.put("lines", invoice.lines().stream().map(l -> ordered("lineId", l.id().toString(),
                "kind", l.kind().name(), "description", l.description(), "requestCount", l.requestCount(),
                "energyJoules", l.energyJoules(),
                "co2eGrams", l.co2eGrams(), "amount", l.amount(), "currency", l.currency())).toList());
        manifest.put("offsets", covering.stream().map(r -> ordered("retirementId", r.id().toString(),
                "registry", r.registry().name(), "projectId", r.projectId(), "projectName", r.projectName(),
                "kind", r.kind().name(), "vintage", r.vintage(), "serialRange", r.serialRange(),
                "tonnesRetired", r.tonnes(), "registryRetirementId", r.registryRetirementId(),
                "co2eGramsAllocatedToThisInvoice", r.gramsAllocated(), "status", "RETIRED")).toList());
        manifest.put("requests", requests.stream().map(r -> ordered("requestId", r.requestId(),
                "emissionRecordId", r.emissionRecordId().toString(), "emissionRecordVersion", r.version(),
                "methodologyVersion", r.methodologyVersion(), "energyJoules", r.energyJoules(),
                "co2eGramsLocationBased", r.co2eLocation(), "co2eGramsMarketBased", r.co2eMarket(),
                "co2eGramsLow", r.co2eLow(), "co2eGramsHigh", r.co2eHigh(), "invoiceLineId", r.lineId().toString(),
                "allocations", allocationsByRecord.getOrDefault(r.emissionRecordId(), List.of()))).toList());
        manifest.put("verificationUrl", verificationUrl);
        manifest.put("logCheckpoint", ordered("origin", Checkpoint.ORIGIN, "treeSize", checkpoint.treeSize(),
                "rootHash", checkpoint.rootHashHex(), "timestamp", checkpoint.timestamp().toString(),
                "signature", checkpoint.signatureBase64()));
        byte[] manifestJson = JSON.writeValueAsBytes(manifest);

        byte[] pdf = signer.sign(renderer.render(content, manifestJson), issuedAt);
        String storageKey = storageKey(tenant.id(), number);
        jdbc.sql("""
                insert into receipts (id, tenant_id, invoice_id, number, pdf, pdf_sha256, manifest, issued_at,
                                      storage_key, checkpoint_tree_size)
                values (?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ?)""")
                .params(UUID.randomUUID(), tenant.id(), invoice.id(), number, pdf, Sha256.hex(pdf),
                        new String(manifestJson, java.nio.charset.StandardCharsets.UTF_8), Timestamp.from(issuedAt),
                        storageKey, checkpoint.treeSize())
                .update();
        // after the row (a duplicate receipt fails before anything is stored); a store failure rolls the payment back
        store.put(storageKey, pdf);
    }

    private Map<UUID, List<Map<String, Object>>> allocationsOf(UUID invoiceId) {
        Map<UUID, List<Map<String, Object>>> byRecord = new LinkedHashMap<>();
        jdbc.sql("""
                select a.emission_record_id, a.retirement_id, t.registry_retirement_id, a.co2e_grams
                  from invoice_lines l
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join offset_allocations a on a.emission_record_id = b.emission_record_id
                  join offset_retirements t on t.id = a.retirement_id
                 where l.invoice_id = ?
                 order by a.emission_record_id, t.retired_at, a.id""")
                .param(invoiceId)
                .query(rs -> {
                    byRecord.computeIfAbsent(rs.getObject(1, UUID.class), k -> new ArrayList<>())
                            .add(ordered("retirementId", rs.getObject(2, UUID.class).toString(),
                                    "registryRetirementId", rs.getString(3), "co2eGrams", rs.getBigDecimal(4)));
                });
        return byRecord;
    }

    private static BigDecimal sum(List<RequestRow> rows, java.util.function.Function<RequestRow, BigDecimal> f) {
        return rows.stream().map(f).reduce(BigDecimal.ZERO, BigDecimal::add).setScale(6, RoundingMode.HALF_EVEN);
    }

    private static String join(List<String> values) {
        return String.join(", ", new TreeSet<>(values));
    }

    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** The receipt's key in the {@link ReceiptStore}: {@code receipts/<tenant id>/<receipt number>.pdf}. */
    static String storageKey(UUID tenantId, String number) {
        return ReceiptStore.checkKey("receipts/" + tenantId + "/" + number + ".pdf");
    }

}
