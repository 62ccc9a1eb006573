package org.carbonledger.receipts.internal;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;

import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.carbonledger.receipts.signing.KmsSigningKey;
import org.carbonledger.receipts.signing.PadesReceiptSigner;
import org.carbonledger.receipts.signing.ReceiptSigningKey;
import org.carbonledger.receipts.signing.ReceiptVerifier;
import org.carbonledger.receipts.signing.SigningKey;
import org.carbonledger.shared.persistence.DatabaseProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;

/**
 * The receipt signing key: an AWS KMS key ({@code CARBONLEDGER_SIGNING_KMS_KEY_ID}, optional
 * {@code CARBONLEDGER_SIGNING_KMS_ENDPOINT}; its certificate is kept in the database), a configured PKCS#12 keystore
 * ({@code CARBONLEDGER_SIGNING_KEYSTORE} and {@code CARBONLEDGER_SIGNING_KEYSTORE_PASSWORD}), or one generated on
 * first start under {@code <data dir>/keys/receipt-signing.p12}.
 */
@Configuration(proxyBeanMethods = false)
class ReceiptSigningConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ReceiptSigningConfiguration.class);

    @Bean
    SigningKey receiptSigningKey(DatabaseProperties properties, Clock clock, JdbcClient jdbc,
            @Value("${carbonledger.signing.keystore:}") String keystore,
            @Value("${carbonledger.signing.keystore-password:}") String password,
            @Value("${carbonledger.signing.kms-key-id:}") String kmsKeyId,
            @Value("${carbonledger.signing.kms-endpoint:}") String kmsEndpoint,
            @Value("${carbonledger.signing.kms-region:}") String kmsRegion) {
        if (!kmsKeyId.isBlank()) {
            if (!keystore.isBlank()) {
                throw new IllegalArgumentException("set either CARBONLEDGER_SIGNING_KMS_KEY_ID or "
                        + "CARBONLEDGER_SIGNING_KEYSTORE, not both");
            }
            KmsClientBuilder builder = KmsClient.builder();
            if (!kmsRegion.isBlank()) {
                builder.region(Region.of(kmsRegion));
            }
            if (!kmsEndpoint.isBlank()) {
                builder.endpointOverride(URI.create(kmsEndpoint));
            }
            KmsSigningKey key = KmsSigningKey.connect(builder.build(), kmsKeyId, new DatabaseCertificates(jdbc),
                    clock);
            log.info("Receipts are signed by KMS key {}", kmsKeyId);
            return key;
        }
        if (!keystore.isBlank()) {
            return ReceiptSigningKey.load(Path.of(keystore), password.toCharArray());
        }
        return ReceiptSigningKey.loadOrCreate(properties.dataDir().resolve("keys").resolve("receipt-signing.p12"),
                clock);
    }

    @Bean
    ReceiptRenderer receiptRenderer() {
        return new ReceiptRenderer();
    }

    @Bean
    PadesReceiptSigner padesReceiptSigner(SigningKey key) {
        return new PadesReceiptSigner(key);
    }

    @Bean
    ReceiptVerifier receiptVerifier() {
        return new ReceiptVerifier();
    }

    /** Certificates of KMS keys in {@code receipt_signing_certificates}: the first one written wins. */
    static final class DatabaseCertificates implements KmsSigningKey.CertificateStore {

        private final JdbcClient jdbc;

        DatabaseCertificates(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @Override
        public X509Certificate loadOrSave(String keyId, java.util.function.Supplier<X509Certificate> create) {
            return load(keyId).orElseGet(() -> {
                try {
                    jdbc.sql("""
                            insert into receipt_signing_certificates (key_id, certificate_der) values (?, ?)
                            on conflict (key_id) do nothing""")
                            .params(keyId, create.get().getEncoded())
                            .update();
                } catch (java.security.cert.CertificateEncodingException e) {
                    throw new IllegalStateException(e);
                }
                return load(keyId).orElseThrow();
            });
        }

        private Optional<X509Certificate> load(String keyId) {
            return jdbc.sql("select certificate_der from receipt_signing_certificates where key_id = ?")
                    .param(keyId).query(byte[].class).optional().map(DatabaseCertificates::parse);
        }

        private static X509Certificate parse(byte[] der) {
            try {
                return (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("unreadable receipt signing certificate in the database", e);
            }
        }
    }
}
