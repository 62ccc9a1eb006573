package org.carbonledger.receipts.log;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A signed statement that the log had {@code treeSize} leaves with root {@code rootHash} at {@code timestamp}. The
 * signed bytes are the UTF-8 {@link #text()}: four lines, each ending in a line feed —
 * <pre>
 * carbonledger transparency log v1
 * &lt;tree size, decimal&gt;
 * &lt;root hash, 64 lowercase hex digits&gt;
 * &lt;timestamp, ISO-8601 UTC&gt;
 * </pre>
 * signed with the receipt-signing key: SHA256withECDSA for an EC key, SHA256withRSA for an RSA key.
 */
public record Checkpoint(long treeSize, byte[] rootHash, Instant timestamp, byte[] signature) {

    public static final String ORIGIN = "carbonledger transparency log v1";

    public String text() {
        return text(treeSize, rootHash, timestamp);
    }

    public static String text(long treeSize, byte[] rootHash, Instant timestamp) {
        return ORIGIN + "\n" + treeSize + "\n" + HexFormat.of().formatHex(rootHash) + "\n" + timestamp + "\n";
    }

    public String rootHashHex() {
        return HexFormat.of().formatHex(rootHash);
    }

    public String signatureBase64() {
        return Base64.getEncoder().encodeToString(signature);
    }

    public static Checkpoint sign(long treeSize, byte[] rootHash, Instant timestamp, PrivateKey key) {
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initSign(key);
            s.update(text(treeSize, rootHash, timestamp).getBytes(StandardCharsets.UTF_8));
            return new Checkpoint(treeSize, rootHash.clone(), timestamp, s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not sign checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * Signs with a key held elsewhere (a KMS key, say): {@code signer} returns the signature of the bytes it is given,
     * in the format of {@code SHA256withECDSA} / {@code SHA256withRSA} (DER for ECDSA).
     */
    public static Checkpoint sign(long treeSize, byte[] rootHash, Instant timestamp,
            java.util.function.UnaryOperator<byte[]> signer) {
        byte[] signature = signer.apply(text(treeSize, rootHash, timestamp).getBytes(StandardCharsets.UTF_8));
        return new Checkpoint(treeSize, rootHash.clone(), timestamp, signature);
    }

    /** Whether the signature over {@link #text()} verifies with {@code key}. Never throws. */
    public boolean verify(PublicKey key) {
        if (key == null || signature == null || rootHash == null || rootHash.length != Merkle.HASH_BYTES) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initVerify(key);
            s.update(text().getBytes(StandardCharsets.UTF_8));
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    static String algorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("unsupported key algorithm " + keyAlgorithm);
        };
    }
}
