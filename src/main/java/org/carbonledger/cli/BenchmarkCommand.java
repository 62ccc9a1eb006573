package org.carbonledger.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.CompactRange;
import org.carbonledger.receipts.log.Merkle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmarks the transparency log's mathematics on streamed, generated leaves shaped like emission-record entries:
 * tree build against raw SHA-256 of the same leaves in the same run, checkpoint signing, and inclusion and
 * consistency proof generation and verification on a large tree. Memory stays bounded: leaves are regenerated, not
 * kept; only the right edge and the hashes of complete subtrees of ≥ 256 leaves are held (as in log_nodes).
 */
@Command(name = "benchmark-log", mixinStandardHelpOptions = true,
        description = "Benchmark the transparency log: tree build vs raw SHA-256, proofs on a large tree.")
class BenchmarkCommand implements Callable<Integer> {

    @Option(names = "--leaves", description = "leaves for the build benchmark (default ${DEFAULT-VALUE})")
    long leaves = 1_000_000;

    @Option(names = "--proof-leaves", description = "tree size for the proof benchmark (default ${DEFAULT-VALUE})")
    long proofLeaves = 10_000_000;

    @Option(names = "--rounds", description = "repetitions of the build benchmark (default ${DEFAULT-VALUE})")
    int rounds = 5;

    @Option(names = "--proofs", description = "proofs generated and verified (default ${DEFAULT-VALUE})")
    int proofs = 2_000;

    @Option(names = "--db-leaves", description = "also append this many leaves to PostgreSQL (embedded, in "
            + "--data-dir) and time appends, a signed checkpoint and proofs read from the database (default 0: skip)")
    long dbLeaves;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "a fresh data directory for --db-leaves")
    java.nio.file.Path dataDir;

    PrintStream out = System.out;

    private static final String TEMPLATE = "{\"calculatedAt\":\"2026-10-10T11:59:00.123456Z\",\"co2eGramsHigh\":"
            + "\"1.530000\",\"co2eGramsLocationBased\":\"0.990000\",\"co2eGramsLow\":\"0.500000\","
            + "\"co2eGramsMarketBased\":\"0.990000\",\"emissionFactorId\":\"8d1c5c2e-4b1a-4f7e-9a51-2f0c7f1d9e30\","
            + "\"emissionRecordId\":\"00000000-0000-4000-8000-############\",\"energyJoules\":\"9900.000000\","
            + "\"energyJoulesHigh\":\"15300.000000\",\"energyJoulesLow\":\"5000.000000\","
            + "\"inferenceRequestId\":\"00000000-0000-4000-9000-############\",\"kind\":\"EMISSION_RECORD\","
            + "\"methodologyVersion\":\"per-token-v0\",\"pue\":\"1.200\",\"requestId\":\"req-############\","
            + "\"tenantId\":\"4f0c2a1e-7b1d-4c1a-8e2f-3a9d0b6c5e71\",\"version\":1}";
    private static final byte[] TEMPLATE_BYTES = TEMPLATE.getBytes(StandardCharsets.UTF_8);
    private static final int[] SLOTS = slots();

    private static int[] slots() {
        List<Integer> found = new ArrayList<>();
        for (int i = TEMPLATE.indexOf("############"); i >= 0; i = TEMPLATE.indexOf("############", i + 12)) {
            found.add(i);
        }
        return found.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * An emission-record-shaped canonical entry for leaf i (about 540 bytes; ids and request id carry i as 12
     * digits). Filled into a template so that generating leaves costs little next to hashing them.
     */
    static byte[] entry(long i) {
        byte[] e = TEMPLATE_BYTES.clone();
        for (int slot : SLOTS) {
            long v = i;
            for (int d = 11; d >= 0; d--) {
                e[slot + d] = (byte) ('0' + (v % 10));
                v /= 10;
            }
        }
        return e;
    }

    /** Generated leaves plus cached complete subtrees of ≥ 256 leaves, like the database's log_nodes. */
    static final class GeneratedTree implements Merkle.HashSource {
        final Map<Long, byte[]> nodes = new HashMap<>();
        final CompactRange range = new CompactRange();

        static long key(long start, int level) {
            return ((long) level << 56) | start;
        }

        void build(long size) {
            for (long i = 0; i < size; i++) {
                range.append(Merkle.leafHash(entry(i)), (start, level, hash) -> {
                    if (level >= 8) {
                        nodes.put(key(start, level), hash);
                    }
                });
            }
        }

        @Override
        public void leafHashes(long from, long to, Consumer<byte[]> sink) {
            for (long i = from; i < to; i++) {
                sink.accept(Merkle.leafHash(entry(i)));
            }
        }

        @Override
        public byte[] completeSubtree(long start, int level) {
            return level >= 8 ? nodes.get(key(start, level)) : null;
        }
    }

    @Override
    public Integer call() throws Exception {
        out.printf("machine: %s, %d CPUs, Java %s, max heap %d MiB%n", System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);

        // 1. build vs raw hashing, alternating, same leaves
        List<Long> raw = new ArrayList<>();
        List<Long> tree = new ArrayList<>();
        byte[] root = null;
        for (int r = 0; r < rounds + 1; r++) {
            long t0 = System.nanoTime();
            MessageDigest md = Merkle.sha256();
            byte[] sink = new byte[32];
            for (long i = 0; i < leaves; i++) {
                byte[] h = md.digest(entry(i));
                sink[0] ^= h[0];
            }
            long t1 = System.nanoTime();
            CompactRange range = new CompactRange();
            for (long i = 0; i < leaves; i++) {
                range.append(Merkle.leafHash(entry(i)));
            }
            root = range.root();
            long t2 = System.nanoTime();
            if (r > 0) { // the first round warms up
                raw.add(t1 - t0);
                tree.add(t2 - t1);
            }
            if (sink[0] == 42 && sink[1] == 42) {
                out.print("");
            }
        }
        var pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
        List<Long> signing = new ArrayList<>();
        for (int r = 0; r < 50; r++) {
            long t0 = System.nanoTime();
            Checkpoint c = Checkpoint.sign(leaves, root, Instant.now(), pair.getPrivate());
            signing.add(System.nanoTime() - t0);
            if (!c.verify(pair.getPublic())) {
                throw new IllegalStateException("checkpoint does not verify");
            }
        }
        out.printf("build %,d leaves: raw SHA-256 median %.1f ms, Merkle tree (leaf hashes + nodes) median %.1f ms,"
                + " ratio %.2f; checkpoint signature median %.3f ms%n", leaves, ms(median(raw)), ms(median(tree)),
                (double) median(tree) / median(raw), ms(median(signing)));

        // 2. proofs at a large size
        System.gc();
        long t0 = System.nanoTime();
        GeneratedTree big = new GeneratedTree();
        big.build(proofLeaves);
        byte[] bigRoot = big.range.root();
        out.printf("built %,d leaves in %.1f s; %,d cached subtree hashes%n", proofLeaves,
                (System.nanoTime() - t0) / 1e9, big.nodes.size());
        SplittableRandom random = new SplittableRandom(9162);
        List<Long> gen = new ArrayList<>();
        List<Long> ver = new ArrayList<>();
        List<Long> cgen = new ArrayList<>();
        List<Long> cver = new ArrayList<>();
        int pathLength = 0;
        for (int p = 0; p < proofs; p++) {
            long index = random.nextLong(proofLeaves);
            long a = System.nanoTime();
            List<byte[]> path = Merkle.inclusionProof(index, proofLeaves, big);
            long b = System.nanoTime();
            boolean ok = Merkle.verifyInclusion(index, proofLeaves, Merkle.leafHash(entry(index)), path, bigRoot);
            long c = System.nanoTime();
            if (!ok) {
                throw new IllegalStateException("inclusion proof of " + index + " does not verify");
            }
            pathLength = path.size();
            gen.add(b - a);
            ver.add(c - b);
        }
        for (int p = 0; p < proofs / 10; p++) {
            long first = 1 + random.nextLong(proofLeaves - 1);
            byte[] firstRoot = Merkle.subtreeHash(0, first, big);
            long a = System.nanoTime();
            List<byte[]> proof = Merkle.consistencyProof(first, proofLeaves, big);
            long b = System.nanoTime();
            boolean ok = Merkle.verifyConsistency(first, proofLeaves, firstRoot, bigRoot, proof);
            long c = System.nanoTime();
            if (!ok) {
                throw new IllegalStateException("consistency proof " + first + " does not verify");
            }
            cgen.add(b - a);
            cver.add(c - b);
        }
        out.printf("inclusion at %,d leaves (%d hashes per path): generate median %.3f ms (p99 %.3f), verify median"
                + " %.3f ms%n", proofLeaves, pathLength, ms(median(gen)), ms(percentile(gen, 0.99)), ms(median(ver)));
        out.printf("consistency at %,d leaves: generate median %.3f ms, verify median %.3f ms%n", proofLeaves,
                ms(median(cgen)), ms(median(cver)));
        out.printf("peak heap used: %d MiB%n", peakHeap() >> 20);
        big = null;
        if (dbLeaves > 0) {
            database();
        }
        return 0;
    }

    /** The database-backed path: appends in batches, a signed checkpoint, proofs reading log_nodes and leaves. */
    private void database() {
        if (dataDir == null || java.nio.file.Files.exists(dataDir)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--db-leaves needs --data-dir naming a directory that does not exist yet");
        }
        Logging.quiet();
        try (var context = Launcher.start("--spring.main.web-application-type=none",
                "--carbonledger.data-dir=" + dataDir.toAbsolutePath())) {
            var log = context.getBean(org.carbonledger.receipts.TransparencyLog.class);
            var jdbc = context.getBean(org.springframework.jdbc.core.simple.JdbcClient.class);
            java.util.UUID tenant = java.util.UUID.randomUUID();
            jdbc.sql("insert into tenants (id, name, currency, price_per_tonne, created_at) values (?, ?, 'USD', 0, now())")
                    .params(tenant, "benchmark").update();
            long start = log.size();
            int batch = 10_000;
            List<Long> appends = new ArrayList<>();
            long t0 = System.nanoTime();
            for (long i = 0; i < dbLeaves; i += batch) {
                List<org.carbonledger.receipts.TransparencyLog.Entry> entries = new ArrayList<>(batch);
                for (long j = i; j < Math.min(dbLeaves, i + batch); j++) {
                    entries.add(new org.carbonledger.receipts.TransparencyLog.Entry("EMISSION_RECORD",
                            java.util.UUID.randomUUID(), tenant, entry(j)));
                }
                long a = System.nanoTime();
                log.append(entries);
                appends.add(System.nanoTime() - a);
            }
            double total = (System.nanoTime() - t0) / 1e9;
            long c0 = System.nanoTime();
            Checkpoint checkpoint = log.checkpoint();
            double checkpointMs = (System.nanoTime() - c0) / 1e6;
            long size = checkpoint.treeSize();
            SplittableRandom random = new SplittableRandom(6962);
            Merkle.HashSource source = log.hashSource();
            List<Long> gen = new ArrayList<>();
            List<Long> perRead = new ArrayList<>();
            List<Long> ver = new ArrayList<>();
            for (int p = 0; p < 200; p++) {
                long index = start + random.nextLong(size - start);
                byte[] leafHash = Merkle.leafHash(entry(index - start));
                // baseline in the same run, before or after alternately: one query per stored subtree and per
                // leaf-hash range
                long baselineNs = 0;
                List<byte[]> baseline = null;
                if (p % 2 == 0) {
                    long s = System.nanoTime();
                    baseline = Merkle.inclusionProof(index, size, source);
                    baselineNs = System.nanoTime() - s;
                }
                long a = System.nanoTime();
                List<byte[]> path = log.inclusionProof(index, size);
                long generated = System.nanoTime() - a;
                if (p % 2 == 1) {
                    long s = System.nanoTime();
                    baseline = Merkle.inclusionProof(index, size, source);
                    baselineNs = System.nanoTime() - s;
                }
                List<byte[]> expected = baseline;
                long b = System.nanoTime();
                if (!Merkle.verifyInclusion(index, size, leafHash, path, checkpoint.rootHash())) {
                    throw new IllegalStateException("database proof of " + index + " does not verify");
                }
                ver.add(System.nanoTime() - b);
                if (path.size() != expected.size() || !java.util.stream.IntStream.range(0, path.size())
                        .allMatch(i -> java.util.Arrays.equals(path.get(i), expected.get(i)))) {
                    throw new IllegalStateException("database proofs of " + index + " differ");
                }
                perRead.add(baselineNs);
                gen.add(generated);
            }
            out.printf("PostgreSQL: appended %,d leaves in %.1f s (%,.0f leaves/s; batch of %,d median %.0f ms);"
                    + " signed checkpoint at %,d in %.1f ms; inclusion proof from the database in one query median"
                    + " %.2f ms (p99 %.2f), baseline one query per subtree median %.2f ms (p99 %.2f), ratio %.2f;"
                    + " verify median %.3f ms%n", dbLeaves, total, dbLeaves / total, batch,
                    ms(median(appends)), size, checkpointMs, ms(median(gen)), ms(percentile(gen, 0.99)),
                    ms(median(perRead)), ms(percentile(perRead, 0.99)), (double) median(gen) / median(perRead),
                    ms(median(ver)));
            out.printf("peak heap used: %d MiB%n", peakHeap() >> 20);
        }
    }

    static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    static long median(List<Long> values) {
        return percentile(values, 0.5);
    }

    static long percentile(List<Long> values, double p) {
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
