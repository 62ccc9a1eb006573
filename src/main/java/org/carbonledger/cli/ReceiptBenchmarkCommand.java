package org.carbonledger.cli;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.carbonledger.offsets.OffsetsAllocated;
import org.carbonledger.receipts.TransparencyLog;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.CompactRange;
import org.carbonledger.receipts.log.Merkle;
import org.carbonledger.receipts.signing.ReceiptChecks;
import org.carbonledger.receipts.signing.SigningKey;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * Benchmarks a whole receipt at scale on the embedded PostgreSQL: a billing period of N requests (default 1,000,000)
 * with its emission records, invoice, one retirement and one allocation per record is bulk-loaded by SQL; the log's
 * leaves are then appended by the platform's own {@link TransparencyLog} paths and the receipt is issued by the
 * platform's own payment event ({@link OffsetsAllocated}: the log appender, then the receipt issuer — PDF/A-3 with the
 * manifest, PAdES signature, storage). Timed against raw SHA-256 of the same leaf entries in the same run, all three
 * reading the entries from PostgreSQL the same way. Run it with {@code -Xmx512m}: nothing holds the period's records.
 */
@Command(name = "benchmark-receipt", mixinStandardHelpOptions = true,
        description = "Benchmark a signed receipt for a period of many requests in PostgreSQL, against raw SHA-256.")
class ReceiptBenchmarkCommand implements Callable<Integer> {

    @Option(names = "--requests", description = "requests in the period (default ${DEFAULT-VALUE})")
    int requests = 1_000_000;

    @Option(names = "--rounds", description = "measured rounds after one warm-up (default ${DEFAULT-VALUE})")
    int rounds = 5;

    @Option(names = "--proofs", description = "inclusion proofs generated from the database and verified against "
            + "the receipt (default ${DEFAULT-VALUE})")
    int proofs = 50;

    @Option(names = "--data-dir", paramLabel = "DIR", required = true,
            description = "a fresh data directory (embedded PostgreSQL and receipt store)")
    Path dataDir;

    PrintStream out = System.out;

    private static final int PAGE = 10_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || rounds < 1 || proofs < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--requests, --rounds and --proofs must "
                    + "be at least 1");
        }
        if (Files.exists(dataDir)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--data-dir must name a directory that does not exist yet");
        }
        out.printf("machine: %s, %d CPUs, Java %s, max heap %d MiB%n", System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
        Logging.quiet();
        try (ConfigurableApplicationContext context = Launcher.start("--spring.main.web-application-type=none",
                "--carbonledger.data-dir=" + dataDir.toAbsolutePath(), "--carbonledger.receipts.store=filesystem")) {
            run(context);
        }
        return 0;
    }

    private void run(ConfigurableApplicationContext context) {
        JdbcClient jdbc = context.getBean(JdbcClient.class);
        TransparencyLog log = context.getBean(TransparencyLog.class);
        TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));

        // 1. setup: the period's rows, bulk-loaded
        long t0 = System.nanoTime();
        Period period = tx.execute(status -> load(jdbc));
        out.printf("setup: %,d requests, emission records, invoice lines, allocations loaded by SQL in %.1f s%n",
                requests, seconds(t0));

        // 2. the log's leaves through the platform's paths: records in ingest-sized batches, then the allocations
        long firstLeaf = log.size();
        long a0 = System.nanoTime();
        String after = "";
        while (true) {
            List<Map.Entry<String, UUID>> page = jdbc.sql("""
                    select r.request_id, e.id from emission_records e join inference_requests r
                        on r.id = e.inference_request_id
                     where e.tenant_id = ? and r.request_id > ? order by r.request_id limit ?""")
                    .params(period.tenantId, after, PAGE)
                    .query((rs, n) -> Map.entry(rs.getString(1), rs.getObject(2, UUID.class))).list();
            if (page.isEmpty()) {
                break;
            }
            log.appendEmissionRecords(page.stream().map(Map.Entry::getValue).toList());
            after = page.get(page.size() - 1).getKey();
        }
        double recordsSeconds = seconds(a0);
        long b0 = System.nanoTime();
        log.appendNewAllocations(period.tenantId);
        double allocationsSeconds = seconds(b0);
        Checkpoint closed = log.checkpoint();
        long leaves = closed.treeSize() - firstLeaf;
        out.printf("log: %,d record leaves appended in %.1f s, %,d allocation leaves in %.1f s (TransparencyLog, "
                + "batches of %,d); checkpoint at %,d%n", requests, recordsSeconds, leaves - requests,
                allocationsSeconds, PAGE, closed.treeSize());
        if (firstLeaf != 0) {
            throw new IllegalStateException("the data directory's log was not empty");
        }

        // 3. raw hashing vs Merkle tree + receipt, same leaves, same run
        List<Long> streamOnly = new ArrayList<>();
        List<Long> raw = new ArrayList<>();
        List<Long> tree = new ArrayList<>();
        List<Long> receipt = new ArrayList<>();
        List<Long> appender = new ArrayList<>();
        for (int r = 0; r < rounds + 1; r++) {
            long s0 = System.nanoTime();
            long[] bytes = {0};
            entries(jdbc, closed.treeSize(), e -> bytes[0] += e.length);
            long s1 = System.nanoTime();
            MessageDigest md = Merkle.sha256();
            byte[] sink = new byte[1];
            entries(jdbc, closed.treeSize(), e -> sink[0] ^= md.digest(e)[0]);
            long s2 = System.nanoTime();
            CompactRange range = new CompactRange();
            entries(jdbc, closed.treeSize(), e -> range.append(Merkle.leafHash(e)));
            if (!java.util.Arrays.equals(range.root(), closed.rootHash())) {
                throw new IllegalStateException("the rebuilt tree's root differs from the signed checkpoint");
            }
            long s3 = System.nanoTime();
            // the log appender's part of the payment event alone (nothing new to append: the leaves are in)
            tx.executeWithoutResult(status -> {
                log.appendNewAllocations(period.tenantId);
                status.setRollbackOnly();
            });
            long s3b = System.nanoTime();
            boolean last = r == rounds;
            tx.executeWithoutResult(status -> {
                context.publishEvent(new OffsetsAllocated(period.tenantId, period.invoiceId, period.allocatedGrams,
                        BigDecimal.ZERO.setScale(6)));
                if (!last) {
                    status.setRollbackOnly(); // the receipt of the last round is kept
                }
            });
            long s4 = System.nanoTime();
            if (r > 0) {
                streamOnly.add(s1 - s0);
                raw.add(s2 - s1);
                tree.add(s3 - s2);
                appender.add(s3b - s3);
                receipt.add(s4 - s3b);
            }
            if (sink[0] == 42 && bytes[0] < 0) {
                out.print("");
            }
        }
        long rawMedian = BenchmarkCommand.median(raw);
        long treeMedian = BenchmarkCommand.median(tree);
        long receiptMedian = BenchmarkCommand.median(receipt);
        out.printf("leaves of the period: %,d (%,d bytes of entries), each pass reads them from PostgreSQL in pages "
                + "of %,d%n", closed.treeSize(), entryBytes(jdbc), PAGE);
        out.printf("read only: median %.0f ms%n", BenchmarkCommand.ms(BenchmarkCommand.median(streamOnly)));
        out.printf("raw SHA-256 of the entries (baseline): median %.0f ms%n", BenchmarkCommand.ms(rawMedian));
        out.printf("Merkle tree of the entries (RFC 9162, root checked against the checkpoint): median %.0f ms%n",
                BenchmarkCommand.ms(treeMedian));
        out.printf("signed receipt (the payment event: log appender + issuer — aggregates, PDF/A-3, PAdES, store):"
                + " median %.0f ms%n",
                BenchmarkCommand.ms(receiptMedian));
        out.printf("of which the log appender's check for unlogged allocations (run alone): median %.0f ms%n",
                BenchmarkCommand.ms(BenchmarkCommand.median(appender)));
        out.printf("ratio (tree + receipt) / raw: %.2f; tree / raw: %.2f%n",
                (double) (treeMedian + receiptMedian) / rawMedian, (double) treeMedian / rawMedian);

        // 4. the receipt kept: its size, and requests proven against it as a verifier would
        record Issued(byte[] pdf, int manifestBytes) {
        }
        Issued issued = jdbc.sql("select pdf, octet_length(manifest::text) from receipts where invoice_id = ?")
                .param(period.invoiceId).query((rs, n) -> new Issued(rs.getBytes(1), rs.getInt(2))).single();
        out.printf("receipt: %,d bytes of PDF, manifest %,d bytes%n", issued.pdf.length, issued.manifestBytes);
        proofs(jdbc, log, context.getBean(SigningKey.class), issued.pdf, period);
        System.gc();
        out.printf("peak heap used: %d MiB (max %d MiB)%n", BenchmarkCommand.peakHeap() >> 20,
                Runtime.getRuntime().maxMemory() >> 20);
    }

    private void proofs(JdbcClient jdbc, TransparencyLog log, SigningKey key, byte[] pdf, Period period) {
        ReceiptChecks checks = new ReceiptChecks();
        ReceiptChecks.Report whole = checks.check(pdf, key.certificate());
        if (!whole.valid()) {
            throw new IllegalStateException("the receipt does not verify: " + whole.verdicts());
        }
        Checkpoint checkpoint = ReceiptChecks.checkpointOf(whole.manifest());
        SplittableRandom random = new SplittableRandom(2026);
        List<Long> gen = new ArrayList<>();
        List<Long> ver = new ArrayList<>();
        for (int p = 0; p < proofs; p++) {
            String requestId = requestId(1 + random.nextInt(requests));
            long a = System.nanoTime();
            var leaves = log.leavesOfRequest(period.tenantId, requestId, checkpoint.treeSize());
            List<Map<String, Object>> proven = new ArrayList<>();
            for (var leaf : leaves) {
                proven.add(Map.of("leafIndex", leaf.index(), "kind", leaf.kind(), "entry", leaf.entryText(),
                        "leafHash", TransparencyLog.hex(leaf.leafHash()), "auditPath",
                        log.inclusionProof(leaf.index(), checkpoint.treeSize()).stream()
                                .map(TransparencyLog::hex).toList()));
            }
            Map<String, Object> proof = new LinkedHashMap<>();
            proof.put("requestId", requestId);
            proof.put("checkpoint", Map.of("treeSize", checkpoint.treeSize(), "rootHash", checkpoint.rootHashHex()));
            proof.put("leaves", proven);
            byte[] proofJson = JSON.writeValueAsBytes(proof);
            long b = System.nanoTime();
            var verdict = ReceiptChecks.inclusionOf(whole.manifest(), requestId, proofJson);
            long c = System.nanoTime();
            if (!verdict.passed() || leaves.size() != 2) {
                throw new IllegalStateException("request " + requestId + " is not proven: " + verdict.detail());
            }
            gen.add(b - a);
            ver.add(c - b);
        }
        out.printf("inclusion proof of one request (its record and allocation leaves) at %,d leaves, from "
                + "PostgreSQL as GET /v1/log/proofs/inclusion builds it: median %.2f ms (p99 %.2f); verified against "
                + "the receipt's manifest and checkpoint: median %.3f ms%n", checkpoint.treeSize(),
                BenchmarkCommand.ms(BenchmarkCommand.median(gen)),
                BenchmarkCommand.ms(BenchmarkCommand.percentile(gen, 0.99)),
                BenchmarkCommand.ms(BenchmarkCommand.median(ver)));
    }

    /** Streams the entries of leaves [0, size) from PostgreSQL in pages (never all in memory). */
    private static void entries(JdbcClient jdbc, long size, Consumer<byte[]> sink) {
        long next = 0;
        while (next < size) {
            List<byte[]> page = jdbc.sql("select entry from log_leaves where leaf_index >= ? and leaf_index < ? "
                    + "order by leaf_index limit ?").params(next, size, PAGE).query((rs, n) -> rs.getBytes(1)).list();
            if (page.isEmpty()) {
                throw new IllegalStateException("the log has fewer leaves than " + size);
            }
            page.forEach(sink);
            next += page.size();
        }
    }

    private static long entryBytes(JdbcClient jdbc) {
        return jdbc.sql("select coalesce(sum(octet_length(entry)), 0) from log_leaves").query(Long.class).single();
    }

    private static String requestId(long i) {
        return "req-" + String.format("%08d", i);
    }

    private record Period(UUID tenantId, UUID invoiceId, BigDecimal allocatedGrams) {
    }

    /**
     * One tenant's October with {@code requests} requests over four workloads (three models), their emission records
     * (about 1 g CO2e each), a paid invoice with one line per workload, one retirement covering it and one allocation
     * per record. Per-row triggers are off for the load only; the invariants they guard are checked once after it.
     */
    private Period load(JdbcClient jdbc) {
        jdbc.sql("set local session_replication_role = replica").update();
        UUID tenant = UUID.randomUUID();
        UUID factor = UUID.randomUUID();
        UUID invoice = UUID.randomUUID();
        UUID lot = UUID.randomUUID();
        UUID retirement = UUID.randomUUID();
        jdbc.sql("insert into tenants (id, name, currency, price_per_tonne, created_at) "
                + "values (?, 'Benchmark Co', 'USD', 25, '2026-09-01')").param(tenant).update();
        String[][] workloads = {{"chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "70"},
                {"chat-small", "meta-llama/Meta-Llama-3.1-8B-Instruct", "8"},
                {"code", "meta-llama/Meta-Llama-3.1-70B-Instruct", "70"},
                {"embed", "intfloat/e5-large-v2", "0.335"}};
        for (int w = 0; w < workloads.length; w++) {
            jdbc.sql("""
                    insert into workloads (id, tenant_id, name, model, model_params_billion, gpu_model, gpu_count,
                                           region, created_at)
                    values (?, ?, ?, ?, ?, 'H100-SXM', 8, 'us-east-1', '2026-09-01')""")
                    .params(UUID.nameUUIDFromBytes((tenant + "/" + w).getBytes(StandardCharsets.UTF_8)), tenant,
                            workloads[w][0], workloads[w][1], new BigDecimal(workloads[w][2])).update();
        }
        jdbc.sql("""
                insert into emission_factors (id, provider, region, basis, gco2e_per_kwh, valid_from, dataset_version,
                                              source, source_reference)
                values (?, 'benchmark', 'us-east-1', 'LOCATION', 380, '2020-01-01', 'benchmark-2026', 'benchmark',
                        'generated')""").param(factor).update();
        jdbc.sql("""
                insert into inference_requests (id, tenant_id, workload_id, request_id, input_tokens, output_tokens,
                                                started_at, ended_at, source, received_at)
                select gen_random_uuid(), ?, w.id, 'req-' || lpad(g::text, 8, '0'), g, 200 + g % 700,
                       timestamptz '2026-10-01' + g * interval '2 seconds',
                       timestamptz '2026-10-01' + g * interval '2 seconds' + interval '1 second', 'rest',
                       timestamptz '2026-10-01' + g * interval '2 seconds' + interval '1 second'
                  from generate_series(1, ?) g
                  join workloads w on w.tenant_id = ? and w.name = (array['chat', 'chat-small', 'code', 'embed'])[1 + g % 4]
                """).params(tenant, requests, tenant).update();
        jdbc.sql("""
                insert into emission_records (id, tenant_id, inference_request_id, version, methodology_version,
                       energy_joules, energy_joules_low, energy_joules_high, pue, emission_factor_id,
                       co2e_grams_location, co2e_grams_market, co2e_grams_low, co2e_grams_high, calculated_at)
                select gen_random_uuid(), r.tenant_id, r.id, 1, 'per-token-v0', j, round(j / 2, 6), round(j * 3 / 2, 6),
                       1.2, ?, round(j / 3600000 * 380, 6), round(j / 3600000 * 380, 6),
                       round(j / 3600000 * 380 / 2, 6), round(j / 3600000 * 380 * 3 / 2, 6), r.received_at
                  from inference_requests r
                  cross join lateral (select (9000 + r.output_tokens * 3)::numeric(20,6) as j) e
                 where r.tenant_id = ?""").params(factor, tenant).update();
        jdbc.sql("""
                insert into invoices (id, tenant_id, number, period_start, period_end, status, currency, total_amount,
                                      co2e_grams, created_at, paid_at)
                values (?, ?, 'BENCH-2026-10', '2026-10-01', '2026-11-01', 'PAID', 'USD', 0, 0,
                        '2026-11-01 00:05', '2026-11-01 01:00')""").params(invoice, tenant).update();
        jdbc.sql("""
                insert into invoice_lines (id, invoice_id, tenant_id, workload_id, model, description, request_count,
                                           energy_joules, co2e_grams, price_per_tonne, amount, currency, kind)
                select gen_random_uuid(), ?, ?, w.id, w.model, w.name || ' (' || w.model || ')', count(*),
                       sum(e.energy_joules), sum(e.co2e_grams_location), 25,
                       round(sum(e.co2e_grams_location) / 1000000 * 25, 4), 'USD', 'USAGE'
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                  join workloads w on w.id = r.workload_id
                 where e.tenant_id = ?
                 group by w.id, w.model, w.name""").params(invoice, tenant, tenant).update();
        jdbc.sql("""
                insert into invoice_line_emissions (invoice_line_id, emission_record_id, billed_co2e_grams)
                select l.id, e.id, e.co2e_grams_location
                  from emission_records e
                  join inference_requests r on r.id = e.inference_request_id
                  join invoice_lines l on l.invoice_id = ? and l.workload_id = r.workload_id
                 where e.tenant_id = ?""").params(invoice, tenant).update();
        jdbc.sql("""
                update invoices i set total_amount = s.amount, co2e_grams = s.grams
                  from (select sum(amount) amount, sum(co2e_grams) grams from invoice_lines where invoice_id = ?) s
                 where i.id = ?""").params(invoice, invoice).update();
        BigDecimal grams = jdbc.sql("select co2e_grams from invoices where id = ?").param(invoice)
                .query(BigDecimal.class).single();
        long tonnes = grams.divide(BigDecimal.valueOf(1_000_000), 0, java.math.RoundingMode.CEILING).longValue();
        jdbc.sql("""
                insert into offset_lots (id, registry, project_id, project_name, kind, vintage, serial_prefix,
                                         serial_first, serial_last, retired_tonnes, price_per_tonne, currency, created_at)
                values (?, 'VERRA', 'VCS-981', 'Benchmark removal project', 'REMOVAL', 2024, 'VCS-981-BENCH', 1,
                        100000, ?, 20, 'USD', '2026-09-01')""").params(lot, tonnes).update();
        jdbc.sql("""
                insert into offset_retirements (id, lot_id, tenant_id, invoice_id, serial_first, serial_last, co2e_grams,
                                                registry_retirement_id, beneficiary, reason, retired_at)
                values (?, ?, ?, ?, 1, ?, ?, 'VCS-981-BENCH-1', 'Benchmark Co', 'benchmark', '2026-11-01 01:00')""")
                .params(retirement, lot, tenant, invoice, tonnes, BigDecimal.valueOf(tonnes * 1_000_000)).update();
        jdbc.sql("""
                insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id, co2e_grams,
                                                allocated_at)
                select gen_random_uuid(), ?, e.id, e.tenant_id, e.co2e_grams_location,
                       timestamptz '2026-11-01 01:00' + (r.input_tokens * interval '1 microsecond')
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where e.tenant_id = ?""").params(retirement, tenant).update();
        jdbc.sql("set local session_replication_role = origin").update();
        // what the per-row triggers guard, checked once for the whole load
        long broken = jdbc.sql("""
                select (select count(*) from offset_retirements t where t.id = ? and t.co2e_grams
                          < (select sum(a.co2e_grams) from offset_allocations a where a.retirement_id = t.id))
                     + (select count(*) from offset_allocations a join emission_records e on e.id = a.emission_record_id
                         where a.tenant_id = ? and a.co2e_grams > e.co2e_grams_location)""")
                .params(retirement, tenant).query(Long.class).single();
        if (broken != 0) {
            throw new IllegalStateException("the loaded allocations break the offsets invariants");
        }
        jdbc.sql("analyze").update();
        return new Period(tenant, invoice, grams);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
