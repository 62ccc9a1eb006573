package org.carbonledger.receipts;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.receipts.log.Checkpoint;
import org.carbonledger.receipts.log.Merkle;
import org.carbonledger.receipts.pdf.ReceiptManifestReader;
import org.carbonledger.receipts.signing.SigningKey;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransparencyLogIntegrationTest extends IntegrationTest {

    private static final HexFormat HEX = HexFormat.of();

    @Autowired
    SigningKey signingKey;

    @Autowired
    TransparencyLog log;

    record Paid(Tenant tenant, byte[] pdf, JsonNode manifest) {
    }

    /** A tenant with a few requests in October 2026, billed and paid: returns the receipt. */
    Paid paidMonth(int requests) {
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        newLot(unique("LOG"), 1, 1000, 2020);
        Tenant tenant = newTenant(unique("Log Co"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-10T12:00:00Z"));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            batch.add(request("log-req-" + i, workload, 20_000 + i, 30_000, clock.instant().minusSeconds(60)));
        }
        assertThat(ingest(tenant.key(), batch).status()).isEqualTo(200);
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
        clock.advance(Duration.ofHours(1));
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments",
                Api.map("reference", unique("wire")));
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);
        String receiptId = api.get(tenant.key(), "/v1/receipts").body().path("items").get(0).path("id").asString();
        byte[] pdf = api.get(tenant.key(), "/v1/receipts/" + receiptId + "/pdf").bytes();
        return new Paid(tenant, pdf, Api.JSON.readTree(ReceiptManifestReader.readManifest(pdf)));
    }

    @Test
    void aRequestsRecordsAndAllocationsProveInclusionInTheReceiptsSignedCheckpoint() {
        Paid paid = paidMonth(3);
        JsonNode committed = paid.manifest().path("logCheckpoint");
        long treeSize = committed.path("treeSize").asLong();
        byte[] root = HEX.parseHex(committed.path("rootHash").asString());
        Checkpoint checkpoint = new Checkpoint(treeSize, root, Instant.parse(committed.path("timestamp").asString()),
                java.util.Base64.getDecoder().decode(committed.path("signature").asString()));
        assertThat(checkpoint.verify(signingKey.certificate().getPublicKey())).isTrue();
        assertThat(log.rootAt(treeSize)).isEqualTo(root);

        var response = api.get(paid.tenant().key(), "/v1/log/proofs/inclusion?requestId=log-req-1&treeSize="
                + treeSize);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode proof = response.body();
        assertThat(proof.path("checkpoint").path("rootHash").asString()).isEqualTo(HEX.formatHex(root));
        List<String> kinds = new ArrayList<>();
        for (JsonNode leaf : proof.path("leaves")) {
            kinds.add(leaf.path("kind").asString());
            byte[] entry = leaf.path("entry").asString().getBytes(StandardCharsets.UTF_8);
            assertThat(Api.JSON.readTree(entry).path("requestId").asString()).isEqualTo("log-req-1");
            byte[] leafHash = Merkle.leafHash(entry);
            assertThat(HEX.formatHex(leafHash)).isEqualTo(leaf.path("leafHash").asString());
            List<byte[]> path = new ArrayList<>();
            leaf.path("auditPath").forEach(p -> path.add(HEX.parseHex(p.asString())));
            assertThat(Merkle.verifyInclusion(leaf.path("leafIndex").asLong(), treeSize, leafHash, path, root))
                    .isTrue();
            assertThat(Merkle.verifyInclusion(leaf.path("leafIndex").asLong(), treeSize,
                    Merkle.leafHash("{}".getBytes(StandardCharsets.UTF_8)), path, root)).isFalse();
        }
        assertThat(kinds).contains(TransparencyLog.EMISSION_RECORD, TransparencyLog.ALLOCATION);

        // another tenant learns nothing about the request
        Tenant other = newTenant(unique("other"), 1);
        var hidden = api.get(other.key(), "/v1/log/proofs/inclusion?requestId=log-req-1&treeSize=" + treeSize);
        assertThat(hidden.status()).isEqualTo(404);
    }

    @Test
    void closingABillingPeriodSignsACheckpointOfTheLogAsItStands() {
        Tenant tenant = newTenant(unique("Close Co"), 100);
        UUID workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-10T12:00:00Z"));
        assertThat(ingest(tenant.key(), List.of(request(unique("close-req"), workload, 100, 100,
                clock.instant().minusSeconds(60)))).status()).isEqualTo(200);
        long before = jdbc.sql("select count(*) from log_checkpoints").query(Long.class).single();
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
        long size = jdbc.sql("select tree_size from log_state where id = 1").query(Long.class).single();
        var latest = api.get(tenant.key(), "/v1/log/checkpoints?limit=1").body().path("items").get(0);
        assertThat(latest.path("treeSize").asLong()).isEqualTo(size);
        assertThat(jdbc.sql("select count(*) from log_checkpoints").query(Long.class).single()).isGreaterThan(before);
        // closing the same period again changes nothing
        assertThat(api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10")).status())
                .isEqualTo(200);
    }

    @Test
    void laterCheckpointsAreConsistentWithEarlierOnes() {
        Paid first = paidMonth(2);
        long firstSize = first.manifest().path("logCheckpoint").path("treeSize").asLong();
        Paid second = paidMonth(2);
        long secondSize = second.manifest().path("logCheckpoint").path("treeSize").asLong();
        assertThat(secondSize).isGreaterThan(firstSize);

        var response = api.get(second.tenant().key(), "/v1/log/proofs/consistency?first=" + firstSize + "&second="
                + secondSize);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        List<byte[]> proof = new ArrayList<>();
        response.body().path("proof").forEach(p -> proof.add(HEX.parseHex(p.asString())));
        byte[] firstRoot = HEX.parseHex(first.manifest().path("logCheckpoint").path("rootHash").asString());
        byte[] secondRoot = HEX.parseHex(second.manifest().path("logCheckpoint").path("rootHash").asString());
        assertThat(Merkle.verifyConsistency(firstSize, secondSize, firstRoot, secondRoot, proof)).isTrue();

        List<Long> sizes = new ArrayList<>();
        String cursor = null;
        do {
            var listed = api.get(second.tenant().key(), "/v1/log/checkpoints?limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(listed.status()).isEqualTo(200);
            listed.body().path("items").forEach(c -> sizes.add(c.path("treeSize").asLong()));
            cursor = listed.body().path("nextCursor").isNull() ? null : listed.body().path("nextCursor").asString();
        } while (cursor != null);
        assertThat(sizes).contains(firstSize, secondSize);
        assertThat(sizes).as("newest first, no repeats").isSortedAccordingTo(java.util.Comparator.reverseOrder())
                .doesNotHaveDuplicates();
        assertThat(api.get(second.tenant().key(), "/v1/log/checkpoints?cursor=nope").text("field"))
                .isEqualTo("cursor");
    }

    @Test
    void badProofRequestsAreProblemsNamingTheField() {
        Tenant tenant = newTenant(unique("proofs"), 1);
        var consistency = api.get(tenant.key(), "/v1/log/proofs/consistency?first=0&second=1");
        assertThat(consistency.status()).isEqualTo(400);
        assertThat(consistency.body().toString()).contains("first");
        var tooBig = api.get(tenant.key(), "/v1/log/proofs/consistency?first=1&second=" + Long.MAX_VALUE);
        assertThat(tooBig.status()).isEqualTo(400);
        assertThat(tooBig.body().toString()).contains("second");
        var noCheckpoint = api.get(tenant.key(), "/v1/log/proofs/inclusion?requestId=x&treeSize=" + Long.MAX_VALUE);
        assertThat(noCheckpoint.status()).isEqualTo(400);
        assertThat(noCheckpoint.body().toString()).contains("treeSize");
    }

    @Test
    void theDatabaseRefusesToChangeOrRemoveLeaves() {
        paidMonth(1);
        assertThatThrownBy(() -> jdbc.sql("update log_leaves set entry = '\\x00' where leaf_index = 0").update())
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("delete from log_leaves where leaf_index = 0").update())
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("""
                insert into log_leaves (leaf_index, tenant_id, kind, subject_id, entry, leaf_hash, appended_at)
                select 1000000000, tenant_id, kind, gen_random_uuid(), entry, leaf_hash, appended_at
                  from log_leaves where leaf_index = 0""").update())
                .hasMessageContaining("not the next index");
        // the next index and one after a gap, in one statement: refused as a whole
        assertThatThrownBy(() -> jdbc.sql("""
                insert into log_leaves (leaf_index, tenant_id, kind, subject_id, entry, leaf_hash, appended_at)
                select s.size + g.k, l.tenant_id, l.kind, gen_random_uuid(), l.entry, l.leaf_hash, l.appended_at
                  from log_leaves l, (select max(leaf_index) + 1 as size from log_leaves) s,
                       (values (0), (2)) as g (k)
                 where l.leaf_index = 0""").update())
                .hasMessageContaining("not the next index");
    }

    @Autowired
    org.carbonledger.telemetry.RequestIngest requestIngest;

    @Autowired
    org.carbonledger.workload.Workloads workloadRegistry;

    /**
     * A transaction that stores several batches (a Kafka consumer's poll) appends their emission records to the log
     * once, just before it commits: inside it nothing is appended yet, after it every record has exactly one leaf,
     * the leaves are consecutive and the log state matches them.
     */
    @Test
    void aTransactionOfSeveralBatchesAppendsTheirRecordsOnceBeforeItCommits() {
        Tenant tenant = newTenant(unique("log-defer"), 100);
        UUID workloadId = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        var workload = workloadRegistry.find(tenant.id(), workloadId).orElseThrow();
        Instant at = START.minusSeconds(3600);
        long sizeBefore = log.size();
        Long leavesInside = new org.springframework.transaction.support.TransactionTemplate(transactions)
                .execute(status -> {
                    for (int batch = 0; batch < 2; batch++) {
                        List<org.carbonledger.telemetry.RequestIngest.Item> items = new java.util.ArrayList<>();
                        for (int i = 0; i < 3; i++) {
                            items.add(new org.carbonledger.telemetry.RequestIngest.Item("defer-" + batch + "-" + i,
                                    workloadId, 100L + i, 50L, at.minusSeconds(2), at, null, null));
                        }
                        requestIngest.store(tenant.id(), items, "rest", at, id -> workload);
                    }
                    return jdbc.sql("select count(*) from log_leaves where tenant_id = ?").param(tenant.id())
                            .query(Long.class).single();
                });
        assertThat(leavesInside).as("appended just before the commit, not with each batch").isZero();
        List<Long> indexes = jdbc.sql("""
                select g.leaf_index from log_leaves g join emission_records e on e.id = g.subject_id
                 where e.tenant_id = ? order by g.leaf_index""").param(tenant.id()).query(Long.class).list();
        assertThat(indexes).hasSize(6);
        assertThat(indexes.get(5) - indexes.get(0)).as("one append: consecutive leaves").isEqualTo(5);
        assertThat(indexes.get(0)).isGreaterThanOrEqualTo(sizeBefore);
        assertThat(jdbc.sql("""
                select count(*) from emission_records e where e.tenant_id = ?
                   and (select count(*) from log_leaves g where g.subject_id = e.id) <> 1""").param(tenant.id())
                .query(Long.class).single()).isZero();
        assertThat(log.size()).isEqualTo(jdbc.sql("select max(leaf_index) + 1 from log_leaves").query(Long.class)
                .single());
    }

    @Autowired
    org.springframework.transaction.PlatformTransactionManager transactions;

    /**
     * Proofs read from log_nodes and leaf hashes in one query equal RFC 9162 proofs recomputed from every leaf hash,
     * at a tree size that is not a power of two and for leaves in its last incomplete subtrees. The leaves are
     * appended in a transaction that is rolled back.
     */
    @Test
    void storedProofsEqualProofsFromEveryLeafAtATreeSizeThatIsNotAPowerOfTwo() {
        Tenant tenant = newTenant(unique("log-proofs"), 10);
        var tx = new org.springframework.transaction.support.TransactionTemplate(transactions);
        tx.executeWithoutResult(status -> {
            status.setRollbackOnly();
            List<TransparencyLog.Entry> entries = new ArrayList<>();
            long before = log.size();
            int count = 1300 + (int) Math.floorMod(100 - (before + 1300), 256); // size % 256 == 100
            for (int i = 0; i < count; i++) {
                entries.add(new TransparencyLog.Entry(TransparencyLog.EMISSION_RECORD, UUID.randomUUID(),
                        tenant.id(), ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
            }
            log.append(entries);
            long size = log.size();
            List<byte[]> hashes = new ArrayList<>();
            for (long from = 0; from < size; ) {
                var page = log.leaves(from, 10_000);
                page.forEach(l -> hashes.add(l.leafHash()));
                from += page.size();
            }
            Merkle.HashSource everyLeaf = (from, to, sink) -> hashes.subList((int) from, (int) to).forEach(sink);
            for (long treeSize : List.of(size, size - 1, size - 257)) {
                assertThat(Long.bitCount(treeSize)).as("tree size %d", treeSize).isGreaterThan(1);
                assertThat(treeSize % 256).as("tree size %d", treeSize).isNotZero();
                byte[] root = Merkle.subtreeHash(0, treeSize, everyLeaf);
                assertThat(log.rootOf(treeSize)).isEqualTo(root);
                long lastFull = treeSize - treeSize % 256;
                for (long index : List.of(0L, treeSize / 2, lastFull - 1, lastFull, (lastFull + treeSize) / 2,
                        treeSize - 1)) {
                    List<byte[]> expected = Merkle.inclusionProof(index, treeSize, everyLeaf);
                    List<byte[]> proof = log.inclusionProof(index, treeSize);
                    assertThat(proof).as("leaf %d of %d", index, treeSize).containsExactlyElementsOf(expected);
                    assertThat(Merkle.verifyInclusion(index, treeSize, hashes.get((int) index), proof, root))
                            .isTrue();
                }
                assertThat(log.consistencyProof(lastFull - 3, treeSize))
                        .containsExactlyElementsOf(Merkle.consistencyProof(lastFull - 3, treeSize, everyLeaf));
            }
        });
    }
}
