package org.carbonledger.receipts.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import org.carbonledger.receipts.signing.ReceiptSigningKey;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

/** The certificate of a KMS key is kept in the database: the first one written is the one every instance uses. */
class KmsCertificateStoreIntegrationTest extends IntegrationTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void theFirstCertificateWrittenIsKept() throws Exception {
        X509Certificate a = ReceiptSigningKey.loadOrCreate(Files.createTempDirectory("a").resolve("a.p12"), CLOCK)
                .certificate();
        X509Certificate b = ReceiptSigningKey.loadOrCreate(Files.createTempDirectory("b").resolve("b.p12"), CLOCK)
                .certificate();
        String keyId = unique("arn:aws:kms:eu-central-1:111111111111:key/k");
        var store = new ReceiptSigningConfiguration.DatabaseCertificates(jdbc);
        AtomicInteger created = new AtomicInteger();

        X509Certificate first = store.loadOrSave(keyId, () -> {
            created.incrementAndGet();
            return a;
        });
        X509Certificate second = store.loadOrSave(keyId, () -> {
            created.incrementAndGet();
            return b;
        });

        assertThat(first).isEqualTo(a);
        assertThat(second).isEqualTo(a);
        assertThat(created).hasValue(1);
        assertThat(jdbc.sql("select count(*) from receipt_signing_certificates where key_id = ?").param(keyId)
                .query(Long.class).single()).isEqualTo(1L);
    }
}
