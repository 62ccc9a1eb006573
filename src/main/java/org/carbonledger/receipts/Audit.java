package org.carbonledger.receipts;

import org.carbonledger.shared.Sha256;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.CompactRange;
import org.carbonledger.receipts.log.Merkle;
import org.carbonledger.receipts.signing.SigningKey;
import org.carbonledger.receipts.storage.ReceiptStore;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Re-derives every total from the database and checks the conservation invariants: Σ billed amounts of the emission
 * record versions = the invoiced mass (per invoice and per line, credit notes negative), and per request the amounts
 * billed over its versions add up to the version billed last (restatements); Σ allocated ≤ retired per retirement
 * (compensating negative rows included), no serial retired twice, no record over-allocated; every billed record of a
 * paid invoice is in its receipt's manifest with the same mass (version 1) or, for a version 2 receipt, a leaf
 * under its checkpoint and in its breakdown per workload and model with the database's count and mass, every receipt's PDF (in the database and in the
 * receipt store) matches its hash, and a revoked receipt's allocations are all reversed; every log leaf equals the
 * entry re-derived from its row, every row (every record version, every allocation and reversal) has a leaf; every
 * checkpoint's root equals the root recomputed from the re-derived leaves, and its signature verifies. Leaves are
 * streamed page by page, never all in memory.
 */
@Service
public class Audit {

    private static final int PAGE = 5_000;
    /** The mass an invoice bills a record version at (needs {@code i} invoices and {@code e} emission records). */
    private static final String BASIS = "case i.uncertainty when 'UPPER_BOUND' then e.co2e_grams_high "
            + "else e.co2e_grams_location end";
    /** What a billed version added to its line (older rows without the amount: its full mass). */
    private static final String BILLED = "coalesce(b.billed_co2e_grams, " + BASIS + ")";

    private final JdbcClient jdbc;
    private final TransparencyLog log;
    private final SigningKey key;
    private final ReceiptStore store;

    Audit(JdbcClient jdbc, TransparencyLog log, SigningKey key, ReceiptStore store) {
        this.store = store;
        this.jdbc = jdbc;
        this.log = log;
        this.key = key;
    }

    /** One broken invariant, naming the row. */
    public record Finding(String check, String subject, String detail) {
        @Override
        public String toString() {
            return check + ": " + subject + ": " + detail;
        }
    }

    public record Report(boolean ok, Map<String, Long> checked, List<Finding> findings) {
    }

    @Transactional(readOnly = true)
    public Report run() {
        List<Finding> findings = new ArrayList<>();
        Map<String, Long> checked = new LinkedHashMap<>();
        invoices(findings, checked);
        offsets(findings, checked);
        receipts(findings, checked);
        log(findings, checked);
        return new Report(findings.isEmpty(), checked, List.copyOf(findings));
    }

    /**
     * Invoiced mass. Each billed emission record version carries what it added to its line ({@code billed_co2e_grams}:
     * its full mass, or for a restated version the difference to what was billed before, negative on a credit note).
     * Lines and invoices must add up those amounts, and per request the amounts billed over all its versions must
     * add up to the mass of the last version billed (location-based, or the upper bound for an UPPER_BOUND invoice).
     */
    private void invoices(List<Finding> findings, Map<String, Long> checked) {
        checked.put("invoices", jdbc.sql("select count(*) from invoices").query(Long.class).single());
        jdbc.sql("""
                select i.number, i.co2e_grams, coalesce(sum(%s), 0)
                  from invoices i
                  left join invoice_lines l on l.invoice_id = i.id
                  left join invoice_line_emissions b on b.invoice_line_id = l.id
                  left join emission_records e on e.id = b.emission_record_id
                 group by i.id, i.number, i.co2e_grams
                having i.co2e_grams <> coalesce(sum(%<s), 0)""".formatted(BILLED))
                .query(rs -> {
                    findings.add(new Finding("invoiced mass", "invoice " + rs.getString(1), "invoiced "
                            + rs.getBigDecimal(2).toPlainString() + " g but its emission records add up to "
                            + rs.getBigDecimal(3).toPlainString() + " g"));
                });
        jdbc.sql("""
                select i.number, l.id, l.co2e_grams, coalesce(sum(%s), 0), l.request_count, count(e.id)
                  from invoice_lines l
                  join invoices i on i.id = l.invoice_id
                  left join invoice_line_emissions b on b.invoice_line_id = l.id
                  left join emission_records e on e.id = b.emission_record_id
                 group by i.number, l.id, l.co2e_grams, l.request_count
                having l.co2e_grams <> coalesce(sum(%<s), 0) or l.request_count <> count(e.id)""".formatted(BILLED))
                .query(rs -> {
                    findings.add(new Finding("invoiced mass", "invoice " + rs.getString(1) + " line " + rs.getString(2),
                            "line says " + rs.getBigDecimal(3).toPlainString() + " g over " + rs.getLong(5)
                                    + " requests; its records add up to " + rs.getBigDecimal(4).toPlainString()
                                    + " g over " + rs.getLong(6)));
                });
        jdbc.sql("""
                with billed as (select e.inference_request_id, e.id, e.version, i.number, %s as billed, %s as basis
                                  from invoice_line_emissions b
                                  join invoice_lines l on l.id = b.invoice_line_id
                                  join invoices i on i.id = l.invoice_id
                                  join emission_records e on e.id = b.emission_record_id),
                     latest as (select distinct on (inference_request_id) inference_request_id, id, number, basis
                                  from billed order by inference_request_id, version desc)
                select t.number, t.id, r.request_id, t.basis, sum(b.billed)
                  from billed b
                  join latest t on t.inference_request_id = b.inference_request_id
                  join inference_requests r on r.id = b.inference_request_id
                 group by t.number, t.id, r.request_id, t.basis
                having sum(b.billed) <> t.basis""".formatted(BILLED, BASIS))
                .query(rs -> {
                    findings.add(new Finding("invoiced mass", "invoice " + rs.getString(1) + ", emission record "
                            + rs.getString(2) + " (request " + rs.getString(3) + ")", "its versions were billed "
                            + rs.getBigDecimal(5).toPlainString() + " g in all but the record billed last holds "
                            + rs.getBigDecimal(4).toPlainString() + " g"));
                });
    }

    private void offsets(List<Finding> findings, Map<String, Long> checked) {
        checked.put("retirements", jdbc.sql("select count(*) from offset_retirements").query(Long.class).single());
        jdbc.sql("""
                select t.registry_retirement_id, t.co2e_grams, sum(a.co2e_grams)
                  from offset_retirements t join offset_allocations a on a.retirement_id = t.id
                 group by t.id, t.registry_retirement_id, t.co2e_grams
                having sum(a.co2e_grams) > t.co2e_grams""")
                .query(rs -> {
                    findings.add(new Finding("allocated <= retired", "retirement " + rs.getString(1),
                            rs.getBigDecimal(3).toPlainString() + " g allocated of " + rs.getBigDecimal(2)
                                    .toPlainString() + " g retired"));
                });
        jdbc.sql("""
                select a.registry_retirement_id, b.registry_retirement_id
                  from offset_retirements a join offset_retirements b
                    on a.lot_id = b.lot_id and a.id < b.id
                   and a.serial_first <= b.serial_last and b.serial_first <= a.serial_last""")
                .query(rs -> {
                    findings.add(new Finding("serial retired once", "retirements " + rs.getString(1) + " and "
                            + rs.getString(2), "retire overlapping serials"));
                });
        jdbc.sql("""
                select l.serial_prefix, l.retired_tonnes, coalesce(sum(t.serial_last - t.serial_first + 1), 0)
                  from offset_lots l left join offset_retirements t on t.lot_id = l.id
                 group by l.id, l.serial_prefix, l.retired_tonnes
                having l.retired_tonnes <> coalesce(sum(t.serial_last - t.serial_first + 1), 0)""")
                .query(rs -> {
                    findings.add(new Finding("serial retired once", "lot " + rs.getString(1), "counts "
                            + rs.getLong(2) + " retired tonnes but its retirements hold " + rs.getLong(3)));
                });
        jdbc.sql("""
                select e.id, r.request_id, e.co2e_grams_location, sum(a.co2e_grams)
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                  join offset_allocations a on a.emission_record_id = e.id
                 group by e.id, r.request_id, e.co2e_grams_location
                having sum(a.co2e_grams) > e.co2e_grams_location""")
                .query(rs -> {
                    findings.add(new Finding("allocated <= emitted", "emission record " + rs.getString(1)
                            + " (request " + rs.getString(2) + ")", rs.getBigDecimal(4).toPlainString()
                            + " g allocated to " + rs.getBigDecimal(3).toPlainString() + " g of emissions"));
                });
    }

    private void receipts(List<Finding> findings, Map<String, Long> checked) {
        checked.put("receipts", jdbc.sql("select count(*) from receipts").query(Long.class).single());
        jdbc.sql("select number from receipts where encode(sha256(pdf), 'hex') <> pdf_sha256")
                .query(rs -> {
                    findings.add(new Finding("receipt PDF", "receipt " + rs.getString(1),
                            "the stored PDF does not match its SHA-256"));
                });
        // the copy in the receipt store (filesystem or S3) is the one downloads serve
        jdbc.sql("select number, storage_key, pdf_sha256 from receipts where storage_key is not null order by number")
                .query(rs -> {
                    String subject = "receipt " + rs.getString(1);
                    try {
                        byte[] stored = store.get(rs.getString(2));
                        if (!Sha256.hex(stored).equals(rs.getString(3))) {
                            findings.add(new Finding("receipt PDF", subject, "the copy in the receipt store ("
                                    + rs.getString(2) + ") does not match its SHA-256"));
                        }
                    } catch (RuntimeException e) {
                        findings.add(new Finding("receipt PDF", subject, "the receipt store has no readable copy ("
                                + rs.getString(2) + "): " + e.getMessage()));
                    }
                });
        // a revoked receipt (refund or lost dispute) leaves no allocation of its invoice unreversed
        jdbc.sql("""
                select rc.number, a.id, a.co2e_grams
                  from receipts rc
                  join invoice_lines l on l.invoice_id = rc.invoice_id
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join offset_allocations a on a.emission_record_id = b.emission_record_id
                 where rc.revoked_at is not null and a.reverses_id is null
                   and not exists (select 1 from offset_allocations x where x.reverses_id = a.id)""")
                .query(rs -> {
                    findings.add(new Finding("revoked receipt reversed", "receipt " + rs.getString(1),
                            "is revoked but allocation " + rs.getString(2) + " of "
                                    + rs.getBigDecimal(3).toPlainString() + " g was not reversed"));
                });
        jdbc.sql("""
                select i.number from invoices i left join receipts rc on rc.invoice_id = i.id
                 where i.status = 'PAID' and rc.id is null""")
                .query(rs -> {
                    findings.add(new Finding("receipt reachable", "invoice " + rs.getString(1),
                            "paid but has no receipt"));
                });
        jdbc.sql("""
                with billed as (select l.invoice_id, e.id, r.request_id, e.co2e_grams_location
                                  from invoice_line_emissions b
                                  join invoice_lines l on l.id = b.invoice_line_id
                                  join emission_records e on e.id = b.emission_record_id
                                  join inference_requests r on r.id = e.inference_request_id),
                     listed as (select rc.invoice_id, rc.number, x->>'emissionRecordId' as record_id,
                                       x->>'requestId' as request_id, (x->>'co2eGramsLocationBased')::numeric as grams
                                  from receipts rc, jsonb_array_elements(rc.manifest->'requests') x)
                select rc.number, b.id, b.request_id, b.co2e_grams_location, m.grams, m.request_id
                  from billed b
                  join receipts rc on rc.invoice_id = b.invoice_id
                                  and rc.manifest->>'format' = 'carbonledger-receipt/1'
                  left join listed m on m.invoice_id = b.invoice_id and m.record_id = b.id::text
                 where m.record_id is null or m.grams <> b.co2e_grams_location or m.request_id <> b.request_id""")
                .query(rs -> {
                    String subject = "emission record " + rs.getString(2) + " (request " + rs.getString(3) + ")";
                    if (rs.getBigDecimal(5) == null) {
                        findings.add(new Finding("receipt reachable", subject, "billed but not in receipt "
                                + rs.getString(1)));
                    } else {
                        findings.add(new Finding("receipt matches database", subject, "receipt " + rs.getString(1)
                                + " says " + rs.getBigDecimal(5).toPlainString() + " g (request " + rs.getString(6)
                                + "), the database " + rs.getBigDecimal(4).toPlainString() + " g"));
                    }
                });
        // version 2 receipts: every billed record is a leaf under the receipt's checkpoint (so it can be proven) ...
        jdbc.sql("""
                select rc.number, e.id, r.request_id
                  from receipts rc
                  join invoice_lines l on l.invoice_id = rc.invoice_id
                  join invoice_line_emissions b on b.invoice_line_id = l.id
                  join emission_records e on e.id = b.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where rc.manifest->>'format' = 'carbonledger-receipt/2'
                   and not exists (select 1 from log_leaves g where g.kind = 'EMISSION_RECORD' and g.subject_id = e.id
                                      and g.leaf_index < rc.checkpoint_tree_size)""")
                .query(rs -> {
                    findings.add(new Finding("receipt reachable", "emission record " + rs.getString(2) + " (request "
                            + rs.getString(3) + ")", "billed but not in the log under receipt " + rs.getString(1)
                            + "'s checkpoint"));
                });
        // ... and its breakdown per workload and model states the database's count and mass
        jdbc.sql("""
                with billed as (select l.invoice_id, l.workload_id, coalesce(l.model, w.model) as model,
                                       count(*) as n, sum(e.co2e_grams_location) as grams
                                  from invoice_line_emissions b
                                  join invoice_lines l on l.id = b.invoice_line_id
                                  join workloads w on w.id = l.workload_id
                                  join emission_records e on e.id = b.emission_record_id
                                 group by l.invoice_id, l.workload_id, coalesce(l.model, w.model)),
                     listed as (select rc.invoice_id, x->>'workloadId' as workload_id, x->>'model' as model,
                                       (x->>'requestCount')::bigint as n, (x->>'co2eGramsLocationBased')::numeric as grams
                                  from receipts rc, jsonb_array_elements(rc.manifest->'breakdown') x)
                select rc.number, b.workload_id, b.model, b.n, b.grams, m.n, m.grams
                  from billed b
                  join receipts rc on rc.invoice_id = b.invoice_id
                                  and rc.manifest->>'format' = 'carbonledger-receipt/2'
                  left join listed m on m.invoice_id = b.invoice_id and m.workload_id = b.workload_id::text
                                    and m.model = b.model
                 where m.n is null or m.n <> b.n or m.grams <> b.grams""")
                .query(rs -> {
                    String subject = "receipt " + rs.getString(1) + ", workload " + rs.getString(2) + " / "
                            + rs.getString(3);
                    findings.add(rs.getObject(6) == null
                            ? new Finding("receipt reachable", subject, rs.getLong(4) + " billed requests are not in "
                                    + "the receipt's breakdown")
                            : new Finding("receipt matches database", subject, "the receipt says " + rs.getLong(6)
                                    + " requests, " + rs.getBigDecimal(7).toPlainString() + " g; the database "
                                    + rs.getLong(4) + " requests, " + rs.getBigDecimal(5).toPlainString() + " g"));
                });
        jdbc.sql("""
                select rc.number, (rc.manifest->'totals'->>'requestCount')::bigint,
                       (select count(*) from invoice_lines l join invoice_line_emissions b on b.invoice_line_id = l.id
                         where l.invoice_id = rc.invoice_id)
                  from receipts rc where rc.manifest->>'format' = 'carbonledger-receipt/2'""")
                .query(rs -> {
                    if (rs.getLong(2) != rs.getLong(3)) {
                        findings.add(new Finding("receipt matches database", "receipt " + rs.getString(1),
                                "the receipt counts " + rs.getLong(2) + " requests, the database bills "
                                        + rs.getLong(3)));
                    }
                });
    }

    private void log(List<Finding> findings, Map<String, Long> checked) {
        long size = log.size();
        checked.put("logLeaves", size);
        Map<Long, Checkpoint> checkpoints = new TreeMap<>();
        jdbc.sql("select tree_size from log_checkpoints order by tree_size").query(Long.class).list()
                .forEach(s -> checkpoints.put(s, log.checkpoint(s).orElseThrow()));
        checked.put("checkpoints", (long) checkpoints.size());
        for (Checkpoint c : checkpoints.values()) {
            if (!c.verify(key.certificate().getPublicKey())) {
                findings.add(new Finding("checkpoint signature", "checkpoint at tree size " + c.treeSize(),
                        "the signature does not verify with the receipt-signing certificate"));
            }
        }
        jdbc.sql("""
                select rc.number, rc.checkpoint_tree_size, rc.manifest->'logCheckpoint'->>'rootHash'
                  from receipts rc where rc.checkpoint_tree_size is not null""")
                .query(rs -> {
                    Checkpoint c = checkpoints.get(rs.getLong(2));
                    if (c == null || !c.rootHashHex().equals(rs.getString(3))) {
                        findings.add(new Finding("receipt = checkpoint", "receipt " + rs.getString(1),
                                "commits to root " + rs.getString(3) + " at tree size " + rs.getLong(2)
                                        + ", which is not the signed checkpoint of that size"));
                    }
                });

        // one pass over the leaves: each re-derived from its row, the tree rebuilt from the re-derived entries
        CompactRange rebuilt = new CompactRange();
        var pending = checkpoints.keySet().iterator();
        long nextCheckpoint = pending.hasNext() ? pending.next() : -1;
        while (nextCheckpoint == 0) {
            compareRoot(findings, checkpoints.get(0L), rebuilt);
            nextCheckpoint = pending.hasNext() ? pending.next() : -1;
        }
        long from = 0;
        while (from < size) {
            List<TransparencyLog.Leaf> page = log.leaves(from, PAGE);
            if (page.isEmpty()) {
                break;
            }
            Map<UUID, TransparencyLog.Entry> records = byId(log.emissionEntries(ids(page,
                    TransparencyLog.EMISSION_RECORD)));
            Map<UUID, TransparencyLog.Entry> allocations = byId(log.allocationEntries(ids(page,
                    TransparencyLog.ALLOCATION)));
            for (TransparencyLog.Leaf leaf : page) {
                if (leaf.index() != rebuilt.size()) {
                    findings.add(new Finding("log leaves", "leaf " + rebuilt.size(), "missing: the next leaf has index "
                            + leaf.index()));
                    return;
                }
                TransparencyLog.Entry derived = (TransparencyLog.EMISSION_RECORD.equals(leaf.kind()) ? records
                        : allocations).get(leaf.subjectId());
                String subject = "log leaf " + leaf.index() + " (" + leaf.kind() + " " + leaf.subjectId() + ")";
                byte[] entry;
                if (derived == null) {
                    findings.add(new Finding("log leaves = rows", subject, "its row no longer exists"));
                    entry = leaf.entry();
                } else {
                    entry = derived.bytes();
                    if (!Arrays.equals(derived.bytes(), leaf.entry())) {
                        findings.add(new Finding("log leaves = rows", subject, "the row differs from the logged "
                                + "entry: " + difference(leaf.entryText(), new String(derived.bytes(),
                                java.nio.charset.StandardCharsets.UTF_8))));
                    }
                }
                if (!Arrays.equals(Merkle.leafHash(leaf.entry()), leaf.leafHash())) {
                    findings.add(new Finding("log leaves = rows", subject, "the stored leaf hash is not "
                            + "SHA-256(0x00 || entry)"));
                }
                rebuilt.append(Merkle.leafHash(entry));
                while (nextCheckpoint == rebuilt.size()) {
                    compareRoot(findings, checkpoints.get(nextCheckpoint), rebuilt);
                    nextCheckpoint = pending.hasNext() ? pending.next() : -1;
                }
            }
            from = page.get(page.size() - 1).index() + 1;
        }
        jdbc.sql("""
                select 'EMISSION_RECORD', e.id from emission_records e
                 where not exists (select 1 from log_leaves g where g.kind = 'EMISSION_RECORD' and g.subject_id = e.id)
                union all
                select 'ALLOCATION', a.id from offset_allocations a
                 where not exists (select 1 from log_leaves g where g.kind = 'ALLOCATION' and g.subject_id = a.id)""")
                .query(rs -> {
                    findings.add(new Finding("log leaves = rows", rs.getString(1) + " " + rs.getString(2),
                            "the row is not in the log"));
                });
    }

    private static void compareRoot(List<Finding> findings, Checkpoint c, CompactRange rebuilt) {
        if (!Arrays.equals(c.rootHash(), rebuilt.root())) {
            findings.add(new Finding("receipt = checkpoint", "checkpoint at tree size " + c.treeSize(),
                    "signed root " + c.rootHashHex() + " but the rows give " + HexFormat.of().formatHex(rebuilt.root())));
        }
    }

    private static List<UUID> ids(List<TransparencyLog.Leaf> page, String kind) {
        return page.stream().filter(l -> kind.equals(l.kind())).map(TransparencyLog.Leaf::subjectId).toList();
    }

    private static Map<UUID, TransparencyLog.Entry> byId(List<TransparencyLog.Entry> entries) {
        return entries.stream().collect(Collectors.toMap(TransparencyLog.Entry::subjectId, Function.identity()));
    }

    /** The first differing field of two canonical entries, in words. */
    static String difference(String logged, String derived) {
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var a = json.readTree(logged);
        var b = json.readTree(derived);
        for (String field : a.propertyNames()) {
            if (!a.path(field).equals(b.path(field))) {
                return field + " was " + a.path(field) + ", is now " + b.path(field);
            }
        }
        return "the entries differ";
    }

}
