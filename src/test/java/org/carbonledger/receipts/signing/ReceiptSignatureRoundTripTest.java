package org.carbonledger.receipts.signing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.carbonledger.receipts.ReceiptFixtures;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiptSignatureRoundTripTest {

    static final Instant SIGNED_AT = Instant.parse("2025-02-01T09:31:00Z");

    @TempDir
    static Path dir;

    static ReceiptSigningKey key;
    static byte[] signed;

    @BeforeAll
    static void signOnce() {
        key = ReceiptSigningKey.loadOrCreate(dir.resolve("keys/receipt-signing.p12"),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
        byte[] pdf = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        signed = new PadesReceiptSigner(key).sign(pdf, SIGNED_AT);
    }

    @Test
    void validAndAnchoredWithTrustAnchor() {
        VerificationResult result = new ReceiptVerifier().verify(signed, key.certificate());

        assertThat(result.valid()).as(result.reason()).isTrue();
        assertThat(result.anchored()).isTrue();
        assertThat(result.manifestJson()).isEqualTo(ReceiptFixtures.manifest());
        assertThat(result.signingTime()).isEqualTo(SIGNED_AT);
        assertThat(result.signerSubject()).contains("CN=carbonledger receipt signing");
        assertThat(result.signerSha256Fingerprint()).hasSize(64)
                .isEqualTo(ReceiptVerifier.sha256Hex(key.certificate()));
    }

    @Test
    void validButNotAnchoredWithoutTrustAnchor() {
        VerificationResult result = new ReceiptVerifier().verify(signed, null);

        assertThat(result.valid()).as(result.reason()).isTrue();
        assertThat(result.anchored()).isFalse();
        assertThat(result.manifestJson()).isEqualTo(ReceiptFixtures.manifest());
    }
}
