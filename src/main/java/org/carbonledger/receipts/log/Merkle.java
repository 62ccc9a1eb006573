package org.carbonledger.receipts.log;

import org.carbonledger.shared.Sha256;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * RFC 9162 Merkle tree hashing (§2.1.1), audit paths (§2.1.3) and consistency proofs (§2.1.4), with their
 * verification algorithms. Leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right).
 *
 * <p>Proof generation asks a {@link HashSource} for the hashes of subtrees; a source streams leaf hashes and may
 * answer complete aligned subtrees from a cache, so no tree is ever held in memory whole.
 */
public final class Merkle {

    public static final int HASH_BYTES = 32;

    private Merkle() {
    }

    /** Where proof generation reads the tree from. */
    public interface HashSource {

        /** Feeds the leaf hashes with index in [from, to) to {@code sink}, in index order. */
        void leafHashes(long from, long to, java.util.function.Consumer<byte[]> sink);

        /** The hash of the complete subtree of 2^level leaves starting at {@code start}, or null if not cached. */
        default byte[] completeSubtree(long start, int level) {
            return null;
        }
    }

    public static MessageDigest sha256() {
        return Sha256.newDigest();
    }

    public static byte[] leafHash(byte[] entry) {
        MessageDigest md = sha256();
        md.update((byte) 0x00);
        return md.digest(entry);
    }

    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest md = sha256();
        md.update((byte) 0x01);
        md.update(left);
        return md.digest(right);
    }

    /** MTH of the empty tree: SHA-256 of nothing. */
    public static byte[] emptyRoot() {
        return sha256().digest();
    }

    /** Largest power of two strictly smaller than n (n ≥ 2). */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH(D[start:end]). */
    public static byte[] subtreeHash(long start, long end, HashSource source) {
        long n = end - start;
        if (n <= 0) {
            return emptyRoot();
        }
        if (Long.bitCount(n) == 1 && start % n == 0) {
            byte[] cached = source.completeSubtree(start, Long.numberOfTrailingZeros(n));
            if (cached != null) {
                return cached;
            }
        }
        if (n > CompactRange.STREAM_LIMIT && start % split(n) == 0) {
            long k = split(n);
            byte[] left = source.completeSubtree(start, Long.numberOfTrailingZeros(k));
            if (left != null) {
                return nodeHash(left, subtreeHash(start + k, end, source));
            }
        }
        CompactRange range = new CompactRange();
        source.leafHashes(start, end, range::append);
        if (range.size() != n) {
            throw new IllegalStateException("expected " + n + " leaves from " + start + ", got " + range.size());
        }
        return range.root();
    }

    /** The audit path of leaf {@code index} in the tree of the first {@code size} leaves (RFC 9162 §2.1.3.1). */
    public static List<byte[]> inclusionProof(long index, long size, HashSource source) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf index " + index + " outside tree of size " + size);
        }
        List<byte[]> path = new ArrayList<>();
        path(index, 0, size, source, path);
        return path;
    }

    private static void path(long m, long start, long end, HashSource source, List<byte[]> out) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = split(n);
        if (m < k) {
            path(m, start, start + k, source, out);
            out.add(subtreeHash(start + k, end, source));
        } else {
            path(m - k, start + k, end, source, out);
            out.add(subtreeHash(start, start + k, source));
        }
    }

    /** The consistency proof between the trees of sizes first and second (RFC 9162 §2.1.4.1). */
    public static List<byte[]> consistencyProof(long first, long second, HashSource source) {
        if (first < 1 || first > second) {
            throw new IllegalArgumentException("need 1 <= first <= second, got " + first + " and " + second);
        }
        List<byte[]> proof = new ArrayList<>();
        if (first < second) {
            subproof(first, 0, second, true, source, proof);
        }
        return proof;
    }

    private static void subproof(long m, long start, long end, boolean b, HashSource source, List<byte[]> out) {
        long n = end - start;
        if (m == n) {
            if (!b) {
                out.add(subtreeHash(start, end, source));
            }
            return;
        }
        long k = split(n);
        if (m <= k) {
            subproof(m, start, start + k, b, source, out);
            out.add(subtreeHash(start + k, end, source));
        } else {
            subproof(m - k, start + k, end, false, source, out);
            out.add(subtreeHash(start, start + k, source));
        }
    }

    /** RFC 9162 §2.1.3.2: does {@code leafHash} at {@code index} lead to {@code root} of a tree of {@code size}? */
    public static boolean verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) {
        if (index < 0 || index >= size || leafHash == null || root == null || path == null) {
            return false;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0 || p == null || p.length != HASH_BYTES) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** RFC 9162 §2.1.4.2: is the tree of size second with root secondRoot an extension of first/firstRoot? */
    public static boolean verifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot,
            List<byte[]> proof) {
        if (first < 1 || first > second || firstRoot == null || secondRoot == null || proof == null) {
            return false;
        }
        if (first == second) {
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
        }
        if (proof.isEmpty()) {
            return false;
        }
        List<byte[]> path = new ArrayList<>(proof);
        if (Long.bitCount(first) == 1) {
            path.add(0, firstRoot);
        }
        for (byte[] p : path) {
            if (p == null || p.length != HASH_BYTES) {
                return false;
            }
        }
        long fn = first - 1;
        long sn = second - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (byte[] c : path.subList(1, path.size())) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
    }

    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
