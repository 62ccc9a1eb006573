package org.carbonledger.receipts.internal;

import java.nio.file.Path;
import java.time.Clock;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.carbonledger.receipts.signing.PadesReceiptSigner;
import org.carbonledger.receipts.signing.ReceiptSigningKey;
import org.carbonledger.receipts.signing.ReceiptVerifier;
import org.carbonledger.shared.persistence.DatabaseProperties;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The receipt signing key: a configured PKCS#12 keystore ({@code CARBONLEDGER_SIGNING_KEYSTORE} and
 * {@code CARBONLEDGER_SIGNING_KEYSTORE_PASSWORD}), or one generated on first start under
 * {@code <data dir>/keys/receipt-signing.p12}. Receipts are time-stamped (PAdES BASELINE-T) by the RFC 3161
 * authority at {@code carbonledger.signing.tsa-url} ({@code CARBONLEDGER_SIGNING_TSA_URL}) when one is configured.
 */
@Configuration(proxyBeanMethods = false)
class ReceiptSigningConfiguration {

    @Bean
    ReceiptSigningKey receiptSigningKey(DatabaseProperties properties, Clock clock,
            @Value("${carbonledger.signing.keystore:}") String keystore,
            @Value("${carbonledger.signing.keystore-password:}") String password) {
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

    /** BASELINE-T when {@code carbonledger.signing.tsa-url} names an RFC 3161 time-stamp authority. */
    @Bean
    PadesReceiptSigner padesReceiptSigner(ReceiptSigningKey key,
            @Value("${carbonledger.signing.tsa-url:}") String tsaUrl) {
        return new PadesReceiptSigner(key, tsaUrl.isBlank() ? null
                : new eu.europa.esig.dss.service.tsp.OnlineTSPSource(tsaUrl));
    }

    @Bean
    ReceiptVerifier receiptVerifier() {
        return new ReceiptVerifier();
    }
}
