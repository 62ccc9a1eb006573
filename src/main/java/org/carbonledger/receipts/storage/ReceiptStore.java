package org.carbonledger.receipts.storage;

/**
 * Keeps receipt PDFs under a key such as {@code receipts/<tenant id>/R-2026-03-0001.pdf}. Keys are relative, use
 * {@code /} as separator and contain no empty, {@code .} or {@code ..} segments.
 */
public interface ReceiptStore {

    /** Stores the bytes under the key (replacing an earlier object of that key, or adding a version of it). */
    void put(String key, byte[] pdf);

    /**
     * The bytes stored under the key.
     *
     * @throws ReceiptNotStoredException if nothing is stored under it
     */
    byte[] get(String key);

    /** Where the store keeps its objects, for logs: a directory or {@code s3://bucket/prefix}. */
    String location();

    /** Checks a key and returns it; every adapter accepts the same keys. */
    static String checkKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("invalid receipt key: '" + key + "'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")
                    || !segment.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("invalid receipt key: '" + key + "'");
            }
        }
        return key;
    }

    /** Nothing is stored under a key. */
    final class ReceiptNotStoredException extends RuntimeException {
        public ReceiptNotStoredException(String key, Throwable cause) {
            super("no receipt stored under '" + key + "'", cause);
        }
    }
}
