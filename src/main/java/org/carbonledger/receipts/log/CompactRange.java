package org.carbonledger.receipts.log;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The right edge of a Merkle tree: one hash per complete subtree, largest first — at most 64 hashes whatever the
 * tree size. Appending a leaf and computing the root (RFC 9162 MTH) need nothing else, so a tree of any size is
 * built from streamed leaves in O(log n) memory.
 */
public final class CompactRange {

    /** Ranges at most this long are hashed by streaming their leaves rather than via cached subtrees. */
    public static final long STREAM_LIMIT = 256;

    private final List<byte[]> hashes = new ArrayList<>();
    private long size;

    /** Listens for subtrees that become complete while appending (level ≥ 1). */
    public interface CompletedSubtree {
        void completed(long start, int level, byte[] hash);
    }

    public CompactRange() {
    }

    /** Restores the range of a tree of {@code size} leaves from its concatenated edge hashes. */
    public static CompactRange of(long size, byte[] concatenated) {
        CompactRange range = new CompactRange();
        int expected = Long.bitCount(size);
        if (concatenated.length != expected * Merkle.HASH_BYTES) {
            throw new IllegalArgumentException("a tree of " + size + " leaves has " + expected + " edge hashes");
        }
        for (int i = 0; i < expected; i++) {
            byte[] h = new byte[Merkle.HASH_BYTES];
            System.arraycopy(concatenated, i * Merkle.HASH_BYTES, h, 0, Merkle.HASH_BYTES);
            range.hashes.add(h);
        }
        range.size = size;
        return range;
    }

    public long size() {
        return size;
    }

    public void append(byte[] leafHash) {
        append(leafHash, null);
    }

    public void append(byte[] leafHash, CompletedSubtree listener) {
        byte[] h = leafHash;
        int level = 0;
        long n = size;
        while ((n & 1) == 1) {
            h = Merkle.nodeHash(hashes.remove(hashes.size() - 1), h);
            n >>= 1;
            level++;
            if (listener != null) {
                listener.completed(size + 1 - (1L << level), level, h);
            }
        }
        hashes.add(h);
        size++;
    }

    /** MTH of the tree so far. */
    public byte[] root() {
        if (hashes.isEmpty()) {
            return Merkle.emptyRoot();
        }
        byte[] r = hashes.get(hashes.size() - 1);
        for (int i = hashes.size() - 2; i >= 0; i--) {
            r = Merkle.nodeHash(hashes.get(i), r);
        }
        return r;
    }

    public byte[] serialize() {
        byte[] out = new byte[hashes.size() * Merkle.HASH_BYTES];
        for (int i = 0; i < hashes.size(); i++) {
            System.arraycopy(hashes.get(i), 0, out, i * Merkle.HASH_BYTES, Merkle.HASH_BYTES);
        }
        return out;
    }

    @Override
    public String toString() {
        return "CompactRange[size=" + size + ", root=" + HexFormat.of().formatHex(root()) + "]";
    }
}
