package org.carbonledger.receipts.signing;

import java.time.Instant;

/**
 * Outcome of verifying a signed receipt.
 *
 * @param valid                   whether the receipt is intact and signed by the trusted (or embedded) certificate
 * @param reason                  human-readable explanation ("signature valid ..." or why it is not)
 * @param signerSubject           subject DN of the signing certificate, or {@code null} if none could be read
 * @param signerSha256Fingerprint lowercase hex SHA-256 of the signing certificate, or {@code null}
 * @param signingTime             claimed signing time, or {@code null}
 * @param anchored                {@code true} when checked against an explicit trust anchor; {@code false} for
 *                                trust on first use (the certificate embedded in the signature was trusted)
 * @param manifestJson            the attached JSON manifest; only set when {@code valid}
 * @param signerCertificate       the signing certificate, or {@code null} if none could be read
 */
public record VerificationResult(
        boolean valid,
        String reason,
        String signerSubject,
        String signerSha256Fingerprint,
        Instant signingTime,
        boolean anchored,
        byte[] manifestJson,
        java.security.cert.X509Certificate signerCertificate) {

    static VerificationResult invalid(String reason, boolean anchored) {
        return new VerificationResult(false, reason, null, null, null, anchored, null, null);
    }
}
