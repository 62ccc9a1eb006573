package org.carbonledger.receipts.log;

import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MerkleTest {

    private static final HexFormat HEX = HexFormat.of();

    /** The eight inputs of the Certificate Transparency reference test vectors. */
    private static final byte[][] INPUTS = {
            {}, {0x00}, {0x10}, {0x20, 0x21}, {0x30, 0x31}, {0x40, 0x41, 0x42, 0x43},
            {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
            {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f}};

    /** An in-memory tree for tests. */
    record Tree(List<byte[]> leaves) implements Merkle.HashSource {
        static Tree of(List<byte[]> entries) {
            return new Tree(entries.stream().map(Merkle::leafHash).toList());
        }

        @Override
        public void leafHashes(long from, long to, Consumer<byte[]> sink) {
            for (long i = from; i < to; i++) {
                sink.accept(leaves.get((int) i));
            }
        }
    }

    /** RFC 9162 §2.1.1 MTH, written recursively as in the RFC. */
    static byte[] mth(List<byte[]> leafHashes) {
        int n = leafHashes.size();
        if (n == 0) {
            return Merkle.emptyRoot();
        }
        if (n == 1) {
            return leafHashes.get(0);
        }
        int k = Integer.highestOneBit(n - 1);
        return Merkle.nodeHash(mth(leafHashes.subList(0, k)), mth(leafHashes.subList(k, n)));
    }

    @Test
    void leafAndNodeHashesFollowRfc9162() {
        assertThat(HEX.formatHex(Merkle.emptyRoot()))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(HEX.formatHex(Merkle.leafHash(new byte[0])))
                .isEqualTo("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
        // a two-leaf tree, by hand: SHA-256(0x01 || SHA-256(0x00) || SHA-256(0x00 0x00))
        var md = Merkle.sha256();
        md.update((byte) 1);
        md.update(Merkle.sha256().digest(new byte[] {0}));
        md.update(Merkle.sha256().digest(new byte[] {0, 0}));
        assertThat(Merkle.subtreeHash(0, 2, Tree.of(List.of(INPUTS[0], INPUTS[1])))).isEqualTo(md.digest());
    }

    @Test
    void rootsMatchTheCertificateTransparencyVectors() {
        String[] roots = {
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
        Tree tree = Tree.of(List.of(INPUTS));
        CompactRange range = new CompactRange();
        for (int size = 1; size <= 8; size++) {
            range.append(Merkle.leafHash(INPUTS[size - 1]));
            assertThat(HEX.formatHex(range.root())).as("size %d", size).isEqualTo(roots[size - 1]);
            assertThat(HEX.formatHex(Merkle.subtreeHash(0, size, tree))).isEqualTo(roots[size - 1]);
        }
    }

    @Test
    void auditPathOfASevenLeafTreeIsTheRfcExample() {
        // RFC 9162 §2.1.5: the path of d0 in the 7-leaf tree is [b, h, l] = [d1, MTH(d2,d3), MTH(d4..d6)]
        Tree tree = Tree.of(List.of(INPUTS).subList(0, 7));
        List<byte[]> path = Merkle.inclusionProof(0, 7, tree);
        List<byte[]> h = tree.leaves();
        assertThat(path).containsExactly(h.get(1), Merkle.nodeHash(h.get(2), h.get(3)),
                Merkle.nodeHash(Merkle.nodeHash(h.get(4), h.get(5)), h.get(6)));
        // and the consistency proof 3 -> 7 is [c, d, g, l]
        List<byte[]> consistency = Merkle.consistencyProof(3, 7, tree);
        assertThat(consistency).containsExactly(h.get(2), h.get(3), Merkle.nodeHash(h.get(0), h.get(1)),
                Merkle.nodeHash(Merkle.nodeHash(h.get(4), h.get(5)), h.get(6)));
        assertThat(Merkle.verifyConsistency(3, 7, mth(h.subList(0, 3)), mth(h), consistency)).isTrue();
    }

    @RepeatedTest(20)
    void everyProofOfARandomTreeVerifies() {
        Random random = new Random();
        int n = 1 + random.nextInt(70);
        List<byte[]> entries = randomEntries(random, n);
        Tree tree = Tree.of(entries);
        for (int size = 1; size <= n; size++) {
            byte[] root = mth(tree.leaves().subList(0, size));
            assertThat(Merkle.subtreeHash(0, size, tree)).isEqualTo(root);
            for (int i = 0; i < size; i++) {
                List<byte[]> path = Merkle.inclusionProof(i, size, tree);
                assertThat(Merkle.verifyInclusion(i, size, tree.leaves().get(i), path, root))
                        .as("leaf %d of %d", i, size).isTrue();
                assertThat(Merkle.verifyInclusion(i, size, Merkle.leafHash(new byte[] {9, 9}), path, root)).isFalse();
                if (size > 1) {
                    assertThat(Merkle.verifyInclusion((i + 1) % size, size, tree.leaves().get(i), path, root))
                            .isFalse();
                }
            }
            for (int first = 1; first <= size; first++) {
                byte[] firstRoot = mth(tree.leaves().subList(0, first));
                List<byte[]> proof = Merkle.consistencyProof(first, size, tree);
                assertThat(Merkle.verifyConsistency(first, size, firstRoot, root, proof))
                        .as("%d -> %d", first, size).isTrue();
                if (first < size) {
                    assertThat(Merkle.verifyConsistency(first, size, root, firstRoot, proof)).isFalse();
                }
            }
        }
    }

    @RepeatedTest(10)
    void aRemovedOrReorderedLeafBreaksProofs() {
        Random random = new Random();
        int n = 3 + random.nextInt(60);
        List<byte[]> entries = randomEntries(random, n);
        Tree tree = Tree.of(entries);
        byte[] root = mth(tree.leaves());
        int victim = random.nextInt(n - 1);

        List<byte[]> removed = new ArrayList<>(entries);
        removed.remove(victim);
        Tree shorter = Tree.of(removed);
        // the tree without the leaf cannot prove the old root, nor be consistent with the first part of the old log
        int probe = Math.min(victim, removed.size() - 1);
        assertThat(Merkle.verifyInclusion(probe, n, shorter.leaves().get(probe),
                Merkle.inclusionProof(probe, removed.size(), shorter), root)).isFalse();
        assertThat(Merkle.verifyConsistency(victim + 1, n - 1, mth(tree.leaves().subList(0, victim + 1)),
                mth(shorter.leaves()), Merkle.consistencyProof(victim + 1, n - 1, shorter))).isFalse();

        List<byte[]> swapped = new ArrayList<>(entries);
        Collections.swap(swapped, victim, victim + 1);
        Tree reordered = Tree.of(swapped);
        assertThat(Merkle.verifyInclusion(victim, n, reordered.leaves().get(victim),
                Merkle.inclusionProof(victim, n, reordered), root)).isFalse();
        assertThat(Merkle.verifyConsistency(victim + 1, n, mth(tree.leaves().subList(0, victim + 1)),
                root, Merkle.consistencyProof(victim + 1, n, reordered))).isFalse();
    }

    @Test
    void cachedSubtreesGiveTheSameHashes() {
        Random random = new Random(7);
        List<byte[]> entries = randomEntries(random, 1500);
        Tree tree = Tree.of(entries);
        java.util.Map<String, byte[]> cache = new java.util.HashMap<>();
        CompactRange range = new CompactRange();
        tree.leaves().forEach(h -> range.append(h, (start, level, hash) -> cache.put(level + "/" + start, hash)));
        Merkle.HashSource cached = new Merkle.HashSource() {
            @Override
            public void leafHashes(long from, long to, Consumer<byte[]> sink) {
                tree.leafHashes(from, to, sink);
            }

            @Override
            public byte[] completeSubtree(long start, int level) {
                return level >= 8 ? cache.get(level + "/" + start) : null;
            }
        };
        byte[] root = mth(tree.leaves());
        assertThat(range.root()).isEqualTo(root);
        assertThat(Merkle.subtreeHash(0, 1500, cached)).isEqualTo(root);
        for (int i : new int[] {0, 255, 256, 1023, 1024, 1499}) {
            assertThat(Merkle.verifyInclusion(i, 1500, tree.leaves().get(i), Merkle.inclusionProof(i, 1500, cached),
                    root)).isTrue();
        }
        assertThat(Merkle.verifyConsistency(700, 1500, mth(tree.leaves().subList(0, 700)), root,
                Merkle.consistencyProof(700, 1500, cached))).isTrue();
        CompactRange restored = CompactRange.of(range.size(), range.serialize());
        assertThat(restored.root()).isEqualTo(root);
    }

    @Test
    void checkpointSignaturesVerifyAndDetectChanges() throws Exception {
        var pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
        byte[] root = Merkle.leafHash(new byte[] {1});
        Checkpoint c = Checkpoint.sign(42, root, Instant.parse("2026-11-01T00:00:00Z"), pair.getPrivate());
        assertThat(c.text()).isEqualTo("carbonledger transparency log v1\n42\n" + HEX.formatHex(root)
                + "\n2026-11-01T00:00:00Z\n");
        assertThat(c.verify(pair.getPublic())).isTrue();
        assertThat(new Checkpoint(43, root, c.timestamp(), c.signature()).verify(pair.getPublic())).isFalse();
        assertThat(new Checkpoint(42, Merkle.emptyRoot(), c.timestamp(), c.signature()).verify(pair.getPublic()))
                .isFalse();
        assertThat(c.verify(KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic())).isFalse();
    }

    private static List<byte[]> randomEntries(Random random, int n) {
        List<byte[]> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] e = new byte[1 + random.nextInt(40)];
            random.nextBytes(e);
            entries.add(e);
        }
        return entries;
    }
}
