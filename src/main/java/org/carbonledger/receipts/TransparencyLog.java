package org.carbonledger.receipts;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.CompactRange;
import org.carbonledger.receipts.log.Merkle;
import org.carbonledger.receipts.signing.SigningKey;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The append-only transparency log in PostgreSQL: every emission record version and every offset allocation is a
 * leaf (its canonical JSON entry, re-derivable from its row), appended in the transaction that writes the row.
 * Appends are serialised by a transaction-scoped advisory lock, so leaf indexes are dense and in commit order.
 * Checkpoints are signed with the receipt-signing key.
 */
@Service
public class TransparencyLog {

    public static final String EMISSION_RECORD = "EMISSION_RECORD";
    public static final String ALLOCATION = "ALLOCATION";

    /** Advisory lock key of the single log writer ("clog"). */
    static final long WRITER_LOCK = 0x636c6f67L;
    private static final int PAGE = 10_000;
    private static final int MIN_CACHED_LEVEL = 8;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final SigningKey key;
    private final Clock clock;

    TransparencyLog(JdbcClient jdbc, JdbcTemplate template, SigningKey key, Clock clock) {
        this.jdbc = jdbc;
        this.template = template;
        this.key = key;
        this.clock = clock;
    }

    /** One leaf's content: what it is about, and the exact bytes hashed. */
    public record Entry(String kind, UUID subjectId, UUID tenantId, byte[] bytes) {
    }

    /** A stored leaf. */
    public record Leaf(long index, UUID tenantId, String kind, UUID subjectId, byte[] entry, byte[] leafHash) {
        public String entryText() {
            return new String(entry, StandardCharsets.UTF_8);
        }
    }

    // ---------------------------------------------------------------------------------------------- appending

    /**
     * Appends emission record versions to the log in the current transaction. Inside a transaction the append is
     * gathered and made just before the commit (or before any other use of the log in that transaction, whichever
     * comes first), so the writer lock is held only from then to the commit: a transaction that stores several
     * batches appends once, and concurrent writers serialise on the lock for the append alone, not for the work
     * before it. Without a transaction it appends at once.
     */
    @Transactional
    public void appendEmissionRecords(List<UUID> recordIds) {
        if (recordIds.isEmpty()) {
            return;
        }
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            appendEmissionRecordsNow(recordIds);
            return;
        }
        @SuppressWarnings("unchecked")
        List<UUID> pending = (List<UUID>) TransactionSynchronizationManager.getResource(PENDING);
        if (pending == null) {
            List<UUID> gathered = new ArrayList<>();
            TransactionSynchronizationManager.bindResource(PENDING, gathered);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    flushPendingEmissionRecords();
                }

                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(PENDING);
                }
            });
            pending = gathered;
        }
        pending.addAll(recordIds);
    }

    /** Transaction resource key of the emission record versions of the transaction not appended yet. */
    private static final Object PENDING = new Object();

    /** Appends what the current transaction gathered, if anything; every other use of the log calls this first. */
    private void flushPendingEmissionRecords() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return;
        }
        @SuppressWarnings("unchecked")
        List<UUID> pending = (List<UUID>) TransactionSynchronizationManager.getResource(PENDING);
        if (pending != null && !pending.isEmpty()) {
            List<UUID> ids = List.copyOf(pending);
            pending.clear();
            appendEmissionRecordsNow(ids);
        }
    }

    private void appendEmissionRecordsNow(List<UUID> recordIds) {
        for (int i = 0; i < recordIds.size(); i += PAGE) {
            appendEntries(emissionEntries(recordIds.subList(i, Math.min(recordIds.size(), i + PAGE))));
        }
    }

    /**
     * Appends every allocation of the tenant that is not in the log yet, oldest first, {@value #PAGE} entries at a
     * time (only their ids are held for the whole run).
     */
    @Transactional
    public void appendNewAllocations(UUID tenantId) {
        flushPendingEmissionRecords();
        lock();
        List<UUID> ids = jdbc.sql("""
                select a.id from offset_allocations a
                 where a.tenant_id = ?
                   and not exists (select 1 from log_leaves g where g.kind = 'ALLOCATION' and g.subject_id = a.id)
                 order by a.allocated_at, a.id""").param(tenantId).query(UUID.class).list();
        for (int i = 0; i < ids.size(); i += PAGE) {
            appendEntries(allocationEntries(ids.subList(i, Math.min(ids.size(), i + PAGE))));
        }
    }

    @Transactional
    public void append(List<Entry> entries) {
        flushPendingEmissionRecords();
        appendEntries(entries);
    }

    private void appendEntries(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        // the leaf hashes do not depend on the log's state: computed before its lock is taken
        int n = entries.size();
        byte[][] leafHashes = new byte[n][];
        for (int k = 0; k < n; k++) {
            leafHashes[k] = Merkle.leafHash(entries.get(k).bytes());
        }
        lock();
        CompactRange range = state();
        Timestamp now = Timestamp.from(clock.instant());
        Object[] index = new Object[n];
        Object[] tenant = new Object[n];
        Object[] kind = new Object[n];
        Object[] subject = new Object[n];
        byte[][] entry = new byte[n][];
        List<Object[]> nodes = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Entry e = entries.get(k);
            index[k] = range.size();
            tenant[k] = e.tenantId();
            kind[k] = e.kind();
            subject[k] = e.subjectId();
            entry[k] = e.bytes();
            range.append(leafHashes[k], (start, level, h) -> {
                if (level >= MIN_CACHED_LEVEL) {
                    nodes.add(new Object[] {level, start, h});
                }
            });
        }
        // one statement for the whole append, rows in leaf order (the dense-index trigger checks them together)
        template.execute((ConnectionCallback<Integer>) con -> {
            try (PreparedStatement ps = con.prepareStatement("""
                    insert into log_leaves (leaf_index, tenant_id, kind, subject_id, entry, leaf_hash, appended_at)
                    select t.leaf_index, t.tenant_id, t.kind, t.subject_id, t.entry, t.leaf_hash, ?
                      from unnest(?::int8[], ?::uuid[], ?::text[], ?::uuid[], ?::bytea[], ?::bytea[])
                           with ordinality as t (leaf_index, tenant_id, kind, subject_id, entry, leaf_hash, ord)
                     order by t.ord""")) {
                ps.setTimestamp(1, now);
                ps.setArray(2, con.createArrayOf("int8", index));
                ps.setArray(3, con.createArrayOf("uuid", tenant));
                ps.setArray(4, con.createArrayOf("text", kind));
                ps.setArray(5, con.createArrayOf("uuid", subject));
                ps.setArray(6, con.createArrayOf("bytea", entry));
                ps.setArray(7, con.createArrayOf("bytea", leafHashes));
                return ps.executeUpdate();
            }
        });
        if (!nodes.isEmpty()) {
            template.batchUpdate("insert into log_nodes (level, start_index, hash) values (?, ?, ?)", nodes);
        }
        jdbc.sql("update log_state set tree_size = ?, edge = ? where id = 1")
                .params(range.size(), range.serialize()).update();
    }

    private void lock() {
        jdbc.sql("select pg_advisory_xact_lock(?)").param(WRITER_LOCK).query((rs, n) -> 1).single();
    }

    private CompactRange state() {
        return jdbc.sql("select tree_size, edge from log_state where id = 1")
                .query((rs, n) -> CompactRange.of(rs.getLong(1), rs.getBytes(2))).single();
    }

    public long size() {
        flushPendingEmissionRecords();
        return jdbc.sql("select tree_size from log_state where id = 1").query(Long.class).single();
    }

    // ---------------------------------------------------------------------------------------------- checkpoints

    /** Signs (or returns the existing) checkpoint of the log as it is now. */
    @Transactional
    public Checkpoint checkpoint() {
        flushPendingEmissionRecords();
        lock();
        CompactRange range = state();
        Optional<Checkpoint> existing = checkpoint(range.size());
        if (existing.isPresent()) {
            return existing.get();
        }
        Checkpoint signed = Checkpoint.sign(range.size(), range.root(),
                clock.instant().truncatedTo(ChronoUnit.MILLIS),
                bytes -> key.sign(new eu.europa.esig.dss.model.ToBeSigned(bytes),
                        eu.europa.esig.dss.enumerations.DigestAlgorithm.SHA256).getValue());
        jdbc.sql("insert into log_checkpoints (tree_size, root_hash, created_at, signature) values (?, ?, ?, ?)")
                .params(signed.treeSize(), signed.rootHash(), Timestamp.from(signed.timestamp()), signed.signature())
                .update();
        return signed;
    }

    public Optional<Checkpoint> checkpoint(long treeSize) {
        return jdbc.sql("select tree_size, root_hash, created_at, signature from log_checkpoints where tree_size = ?")
                .param(treeSize).query(TransparencyLog::mapCheckpoint).optional();
    }

    public Optional<Checkpoint> latestCheckpoint() {
        return jdbc.sql("select tree_size, root_hash, created_at, signature from log_checkpoints "
                + "order by tree_size desc limit 1").query(TransparencyLog::mapCheckpoint).optional();
    }

    /** Checkpoints, newest first, with tree size below {@code beforeSize} when given. */
    public List<Checkpoint> checkpoints(Long beforeSize, int limit) {
        return jdbc.sql("select tree_size, root_hash, created_at, signature from log_checkpoints "
                        + "where tree_size < ? order by tree_size desc limit ?")
                .params(beforeSize == null ? Long.MAX_VALUE : beforeSize, limit)
                .query(TransparencyLog::mapCheckpoint).list();
    }

    private static Checkpoint mapCheckpoint(ResultSet rs, int n) throws SQLException {
        return new Checkpoint(rs.getLong(1), rs.getBytes(2), rs.getTimestamp(3).toInstant(), rs.getBytes(4));
    }

    // ---------------------------------------------------------------------------------------------- proofs

    /** The tree as stored: leaf hashes paged from the database, complete subtrees of ≥ 256 leaves from log_nodes. */
    public Merkle.HashSource hashSource() {
        return new Merkle.HashSource() {
            @Override
            public void leafHashes(long from, long to, Consumer<byte[]> sink) {
                long next = from;
                while (next < to) {
                    List<byte[]> page = jdbc.sql("select leaf_hash from log_leaves where leaf_index >= ? "
                                    + "and leaf_index < ? order by leaf_index limit ?")
                            .params(next, to, PAGE).query((rs, n) -> rs.getBytes(1)).list();
                    if (page.isEmpty()) {
                        return;
                    }
                    page.forEach(sink);
                    next += page.size();
                }
            }

            @Override
            public byte[] completeSubtree(long start, int level) {
                if (level < MIN_CACHED_LEVEL) {
                    return null;
                }
                return jdbc.sql("select hash from log_nodes where level = ? and start_index = ?")
                        .params(level, start).query((rs, n) -> rs.getBytes(1)).optional().orElse(null);
            }
        };
    }

    /**
     * The audit path of leaf {@code index} in the tree of the first {@code size} leaves, read in one round trip:
     * the proof is first walked with all-zero hashes to learn which stored subtrees (log_nodes) and leaf-hash
     * ranges it needs, those are fetched by a single query, and the proof is then computed from them. Anything
     * the query did not answer is read through {@link #hashSource()}, so the result is always that of
     * {@link Merkle#inclusionProof} over the stored tree.
     */
    public List<byte[]> inclusionProof(long index, long size) {
        return prefetched(source -> Merkle.inclusionProof(index, size, source));
    }

    /** The consistency proof between sizes {@code first} and {@code second}, read like {@link #inclusionProof}. */
    public List<byte[]> consistencyProof(long first, long second) {
        return prefetched(source -> Merkle.consistencyProof(first, second, source));
    }

    /** The root of the first {@code size} leaves, read like {@link #inclusionProof}. */
    public byte[] rootOf(long size) {
        return prefetched(source -> Merkle.subtreeHash(0, size, source));
    }

    /** Leaf hashes a planned proof may read in its one query; more falls back to paging. */
    private static final long PREFETCH_LEAVES = 64 * CompactRange.STREAM_LIMIT;

    private <T> T prefetched(java.util.function.Function<Merkle.HashSource, T> proof) {
        Plan plan = new Plan();
        try {
            proof.apply(plan);
        } catch (PlanTooLarge e) {
            return proof.apply(hashSource());
        }
        Map<NodeKey, byte[]> nodes = new java.util.HashMap<>();
        Map<Long, byte[]> leafHashes = new java.util.HashMap<>();
        if (!plan.levels.isEmpty() || !plan.from.isEmpty()) {
            jdbc.sql("""
                    select w.level, w.start_index, n.hash
                      from unnest(cast(? as integer[]), cast(? as bigint[])) as w(level, start_index)
                      join log_nodes n on n.level = w.level and n.start_index = w.start_index
                    union all
                    select -1, l.leaf_index, l.leaf_hash
                      from unnest(cast(? as bigint[]), cast(? as bigint[])) as r(lo, hi)
                      join log_leaves l on l.leaf_index >= r.lo and l.leaf_index < r.hi""")
                    .params(plan.levels.toArray(Integer[]::new), plan.starts.toArray(Long[]::new),
                            plan.from.toArray(Long[]::new), plan.to.toArray(Long[]::new))
                    .query(rs -> {
                        int level = rs.getInt(1);
                        if (level < 0) {
                            leafHashes.put(rs.getLong(2), rs.getBytes(3));
                        } else {
                            nodes.put(new NodeKey(level, rs.getLong(2)), rs.getBytes(3));
                        }
                    });
        }
        Merkle.HashSource stored = hashSource();
        return proof.apply(new Merkle.HashSource() {
            @Override
            public void leafHashes(long lo, long hi, Consumer<byte[]> sink) {
                for (long i = lo; i < hi; i++) {
                    byte[] hash = leafHashes.get(i);
                    if (hash == null) {
                        stored.leafHashes(i, hi, sink);
                        return;
                    }
                    sink.accept(hash);
                }
            }

            @Override
            public byte[] completeSubtree(long start, int level) {
                if (level < MIN_CACHED_LEVEL) {
                    return null;
                }
                byte[] hash = nodes.get(new NodeKey(level, start));
                return hash != null ? hash : stored.completeSubtree(start, level);
            }
        });
    }

    private record NodeKey(int level, long start) {
    }

    /** Walks a proof with all-zero hashes, noting the stored subtrees and leaf-hash ranges it reads. */
    private static final class Plan implements Merkle.HashSource {
        private static final byte[] ZERO_HASH = new byte[Merkle.HASH_BYTES];
        final List<Integer> levels = new ArrayList<>();
        final List<Long> starts = new ArrayList<>();
        final List<Long> from = new ArrayList<>();
        final List<Long> to = new ArrayList<>();
        private long leaves;

        @Override
        public void leafHashes(long lo, long hi, Consumer<byte[]> sink) {
            leaves += hi - lo;
            if (leaves > PREFETCH_LEAVES) {
                throw new PlanTooLarge();
            }
            from.add(lo);
            to.add(hi);
            for (long i = lo; i < hi; i++) {
                sink.accept(ZERO_HASH);
            }
        }

        @Override
        public byte[] completeSubtree(long start, int level) {
            if (level < MIN_CACHED_LEVEL) {
                return null;
            }
            levels.add(level);
            starts.add(start);
            return ZERO_HASH;
        }
    }

    private static final class PlanTooLarge extends RuntimeException {
        PlanTooLarge() {
            super(null, null, false, false);
        }
    }

    /** The root of the first {@code size} leaves, recomputed from the stored tree. */
    public byte[] rootAt(long size) {
        return Merkle.subtreeHash(0, size, hashSource());
    }

    /** The tenant's leaves about one request (its emission records and their allocations) below {@code treeSize}. */
    public List<Leaf> leavesOfRequest(UUID tenantId, String requestId, long treeSize) {
        flushPendingEmissionRecords();
        return jdbc.sql("""
                with recs as (select e.id from emission_records e
                                join inference_requests r on r.id = e.inference_request_id
                               where r.tenant_id = ? and r.request_id = ?),
                     subjects as (select 'EMISSION_RECORD' as kind, id from recs
                                  union all
                                  select 'ALLOCATION', a.id from offset_allocations a
                                   where a.emission_record_id in (select id from recs))
                select l.leaf_index, l.tenant_id, l.kind, l.subject_id, l.entry, l.leaf_hash
                  from subjects s join log_leaves l on l.kind = s.kind and l.subject_id = s.id
                 where l.tenant_id = ? and l.leaf_index < ?
                 order by l.leaf_index""")
                .params(tenantId, requestId, tenantId, treeSize).query(TransparencyLog::mapLeaf).list();
    }

    /** Leaves in index order from {@code from}, at most {@code limit}. */
    public List<Leaf> leaves(long from, int limit) {
        flushPendingEmissionRecords();
        return jdbc.sql("select leaf_index, tenant_id, kind, subject_id, entry, leaf_hash from log_leaves "
                        + "where leaf_index >= ? order by leaf_index limit ?")
                .params(from, limit).query(TransparencyLog::mapLeaf).list();
    }

    private static Leaf mapLeaf(ResultSet rs, int n) throws SQLException {
        return new Leaf(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3), rs.getObject(4, UUID.class),
                rs.getBytes(5), rs.getBytes(6));
    }

    // ---------------------------------------------------------------------------------------------- entries

    /** The canonical entries of these emission records, re-derived from their rows (in the order given). */
    public List<Entry> emissionEntries(List<UUID> recordIds) {
        Map<UUID, Entry> byId = new LinkedHashMap<>();
        jdbc.sql("""
                select e.id, e.tenant_id, e.inference_request_id, r.request_id, e.version, e.methodology_version,
                       e.energy_joules, e.energy_joules_low, e.energy_joules_high, e.pue, e.emission_factor_id,
                       e.co2e_grams_location, e.co2e_grams_market, e.co2e_grams_low, e.co2e_grams_high,
                       e.calculated_at
                  from emission_records e join inference_requests r on r.id = e.inference_request_id
                 where e.id = any(:ids)""")
                .param("ids", recordIds.toArray(UUID[]::new))
                .query(rs -> {
                    Map<String, Object> m = new TreeMap<>();
                    m.put("kind", EMISSION_RECORD);
                    m.put("emissionRecordId", rs.getString(1));
                    m.put("tenantId", rs.getString(2));
                    m.put("inferenceRequestId", rs.getString(3));
                    m.put("requestId", rs.getString(4));
                    m.put("version", rs.getInt(5));
                    m.put("methodologyVersion", rs.getString(6));
                    m.put("energyJoules", rs.getBigDecimal(7).toPlainString());
                    m.put("energyJoulesLow", rs.getBigDecimal(8).toPlainString());
                    m.put("energyJoulesHigh", rs.getBigDecimal(9).toPlainString());
                    m.put("pue", rs.getBigDecimal(10).toPlainString());
                    m.put("emissionFactorId", rs.getString(11));
                    m.put("co2eGramsLocationBased", rs.getBigDecimal(12).toPlainString());
                    m.put("co2eGramsMarketBased", rs.getBigDecimal(13).toPlainString());
                    m.put("co2eGramsLow", rs.getBigDecimal(14).toPlainString());
                    m.put("co2eGramsHigh", rs.getBigDecimal(15).toPlainString());
                    m.put("calculatedAt", rs.getTimestamp(16).toInstant().toString());
                    UUID id = rs.getObject(1, UUID.class);
                    byId.put(id, new Entry(EMISSION_RECORD, id, rs.getObject(2, UUID.class),
                            JSON.writeValueAsBytes(m)));
                });
        return recordIds.stream().map(byId::get).filter(java.util.Objects::nonNull).toList();
    }

    /** The canonical entries of these allocations, re-derived from their rows (in the order given). */
    public List<Entry> allocationEntries(List<UUID> allocationIds) {
        Map<UUID, Entry> byId = new LinkedHashMap<>();
        jdbc.sql("""
                select a.id, a.tenant_id, a.emission_record_id, r.request_id, a.retirement_id,
                       t.registry_retirement_id, l.serial_prefix, t.serial_first, t.serial_last, a.co2e_grams,
                       a.allocated_at, a.reverses_id, a.reason
                  from offset_allocations a
                  join offset_retirements t on t.id = a.retirement_id
                  join offset_lots l on l.id = t.lot_id
                  join emission_records e on e.id = a.emission_record_id
                  join inference_requests r on r.id = e.inference_request_id
                 where a.id = any(:ids)""")
                .param("ids", allocationIds.toArray(UUID[]::new))
                .query(rs -> {
                    Map<String, Object> m = new TreeMap<>();
                    m.put("kind", ALLOCATION);
                    m.put("allocationId", rs.getString(1));
                    m.put("tenantId", rs.getString(2));
                    m.put("emissionRecordId", rs.getString(3));
                    m.put("requestId", rs.getString(4));
                    m.put("retirementId", rs.getString(5));
                    m.put("registryRetirementId", rs.getString(6));
                    m.put("serialPrefix", rs.getString(7));
                    m.put("serialFirst", rs.getLong(8));
                    m.put("serialLast", rs.getLong(9));
                    m.put("co2eGrams", rs.getBigDecimal(10).toPlainString());
                    m.put("allocatedAt", rs.getTimestamp(11).toInstant().toString());
                    if (rs.getString(12) != null) {
                        // a compensating row (negative mass) reversing an allocation after a refund or dispute
                        m.put("reversesAllocationId", rs.getString(12));
                        m.put("reason", rs.getString(13));
                    }
                    UUID id = rs.getObject(1, UUID.class);
                    byId.put(id, new Entry(ALLOCATION, id, rs.getObject(2, UUID.class),
                            JSON.writeValueAsBytes(m)));
                });
        return allocationIds.stream().map(byId::get).filter(java.util.Objects::nonNull).toList();
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
