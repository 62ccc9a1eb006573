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
 * manifest attached to the PDF ({@value #MANIFEST_FORMAT}, decision 0052) carries totals, the breakdown per workload
 * and model, the invoice lines, the retirements and the signed log checkpoint; each billed request's emission
 * records and allocations are shown to be under that checkpoint by an inclusion proof from the log.
 */
@Component
class ReceiptIssuer {

    static final String MANIFEST_FORMAT = org.carbonledger.receipts.signing.ReceiptChecks.MANIFEST_FORMAT;

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
    private final String publicUrl;
    private final Clock clock;

    ReceiptIssuer(JdbcClient jdbc, Invoices invoices, Retirements retirements, Tenants tenants, Workloads workloads,
            ReceiptRenderer renderer, PadesReceiptSigner signer, ReceiptStore store, TransparencyLog log, Clock clock,
            @org.springframework.beans.factory.annotation.Value("${carbonledger.public-url}") String publicUrl) {
        this.log = log;
        this.publicUrl = publicUrl.replaceAll("/+$", "");
        this.verificationUrl = this.publicUrl + "/v1/receipts/verify";
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

    /** The billed records of one workload and model, added up by PostgreSQL (nothing per request in memory). */
    private record Group(UUID workloadId, String workloadName, String model, long requestCount,
            BigDecimal energyJoules, BigDecimal co2eLocation, BigDecimal co2eMarket, BigDecimal co2eLow,
            BigDecimal co2eHigh) {
    }

    @EventListener
    @Order(LogAppender.ORDER + 10)
    void on(OffsetsAllocated allocated) {
        issue(allocated.tenantId(), allocated.invoiceId(), allocated.allocatedGrams(), allocated.uncoveredGrams());
    }

    /**
     * Issues the receipt of the invoice: the billed emission records are added up per workload and model by the
     * database in one pass, so the receipt's cost in memory does not grow with the period's requests.
     */
    void issue(UUID tenantId, UUID invoiceId, BigDecimal allocatedGrams, BigDecimal uncoveredGrams) {
        Invoice invoice = invoices.get(tenantId, invoiceId);
        Tenant tenant = tenants.get(invoice.tenantId());
        Instant issuedAt = clock.instant();
        String number = "R-" + invoice.number();

        // one pass over the invoice's billed records: sums per workload and model, with the versions used
        List<String> versions = new ArrayList<>();
        List<Group> groups = jdbc.sql("""
                select l.workload_id, w.name, coalesce(l.model, w.model), count(*), sum(e.energy_joules),
                       sum(e.co2e_grams_location), sum(e.co2e_grams_market), sum(e.co2e_grams_low),
                       sum(e.co2e_grams_high), array_agg(distinct 'm:' || e.methodology_version),
                       array_agg(distinct 'f:' || f.dataset_version)
                  from invoice_lines l
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join emission_factors f on f.id = e.emission_factor_id
                  join workloads w on w.id = l.workload_id
                 where l.invoice_id = ?
                 group by l.workload_id, w.name, coalesce(l.model, w.model)
                 order by w.name, coalesce(l.model, w.model), l.workload_id""")
                .param(invoice.id())
                .query((rs, n) -> {
                    versions.addAll(List.of((String[]) rs.getArray(10).getArray()));
                    versions.addAll(List.of((String[]) rs.getArray(11).getArray()));
                    return new Group(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getLong(4),
                            scaled(rs.getBigDecimal(5)), scaled(rs.getBigDecimal(6)), scaled(rs.getBigDecimal(7)),
                            scaled(rs.getBigDecimal(8)), scaled(rs.getBigDecimal(9)));
                })
                .list();

        long requestCount = groups.stream().mapToLong(Group::requestCount).sum();
        BigDecimal energyJoules = sum(groups, Group::energyJoules);
        BigDecimal location = sum(groups, Group::co2eLocation);
        BigDecimal market = sum(groups, Group::co2eMarket);
        BigDecimal low = sum(groups, Group::co2eLow);
        BigDecimal high = sum(groups, Group::co2eHigh);
        String methodologies = join(versions, "m:");
        String datasets = join(versions, "f:");
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
        manifest.put("totals", ordered("requestCount", requestCount, "energyJoules", energyJoules, "co2eGramsLocationBased", location,
                "co2eGramsMarketBased", market, "co2eGramsLow", low, "co2eGramsHigh", high,
                "co2eGramsAllocated", allocatedGrams, "co2eGramsUncovered", uncoveredGrams));
        manifest.put("methodologyVersions", methodologies);
        manifest.put("factorDatasetVersions", datasets);
        manifest.put("breakdown", groups.stream().map(g -> ordered("workloadId", g.workloadId().toString(),
                "workloadName", g.workloadName(), "model", g.model(), "requestCount", g.requestCount(),
                "energyJoules", g.energyJoules(), "co2eGramsLocationBased", g.co2eLocation(),
                "co2eGramsMarketBased", g.co2eMarket(), "co2eGramsLow", g.co2eLow(), "co2eGramsHigh", g.co2eHigh()))
                .toList());
        manifest.put("lines", invoice.lines().stream().map(l -> ordered("lineId", l.id().toString(),
                "kind", l.kind().name(), "workloadId", l.workloadId() == null ? null : l.workloadId().toString(),
                "model", l.model(), "description", l.description(), "requestCount", l.requestCount(),
                "energyJoules", l.energyJoules(),
                "co2eGrams", l.co2eGrams(), "amount", l.amount(), "currency", l.currency())).toList());
        manifest.put("offsets", covering.stream().map(r -> ordered("retirementId", r.id().toString(),
                "registry", r.registry().name(), "projectId", r.projectId(), "projectName", r.projectName(),
                "kind", r.kind().name(), "vintage", r.vintage(), "serialRange", r.serialRange(),
                "tonnesRetired", r.tonnes(), "registryRetirementId", r.registryRetirementId(),
                "co2eGramsAllocatedToThisInvoice", r.gramsAllocated(), "status", "RETIRED")).toList());
        manifest.put("verificationUrl", verificationUrl);
        manifest.put("logCheckpoint", ordered("origin", Checkpoint.ORIGIN, "treeSize", checkpoint.treeSize(),
                "rootHash", checkpoint.rootHashHex(), "timestamp", checkpoint.timestamp().toString(),
                "signature", checkpoint.signatureBase64()));
        // any billed request is shown to be under that checkpoint by its inclusion proof
        manifest.put("inclusionProofs", publicUrl + "/v1/log/proofs/inclusion?treeSize=" + checkpoint.treeSize()
                + "&requestId={requestId}");
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

    private static BigDecimal scaled(BigDecimal value) {
        return (value == null ? BigDecimal.ZERO : value).setScale(6, RoundingMode.HALF_EVEN);
    }

    private static BigDecimal sum(List<Group> groups, java.util.function.Function<Group, BigDecimal> f) {
        return groups.stream().map(f).reduce(BigDecimal.ZERO, BigDecimal::add).setScale(6, RoundingMode.HALF_EVEN);
    }

    private static String join(List<String> tagged, String tag) {
        return String.join(", ", new TreeSet<>(tagged.stream().filter(v -> v.startsWith(tag))
                .map(v -> v.substring(tag.length())).toList()));
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
