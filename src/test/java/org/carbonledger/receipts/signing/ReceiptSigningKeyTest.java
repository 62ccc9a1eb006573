package org.carbonledger.receipts.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiptSigningKeyTest {

    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void createsKeystorePasswordAndCertificateOnceAndReloadsTheSameKey() throws Exception {
        Path keystore = dir.resolve("data/keys/receipt-signing.p12");

        ReceiptSigningKey first = ReceiptSigningKey.loadOrCreate(keystore, CLOCK);
        ReceiptSigningKey second = ReceiptSigningKey.loadOrCreate(keystore,
                Clock.fixed(NOW.plusSeconds(86_400), ZoneOffset.UTC));

        assertThat(second.certificate()).isEqualTo(first.certificate());
        assertThat(second.privateKey().getEncoded()).isEqualTo(first.privateKey().getEncoded());

        Path passwordFile = dir.resolve("data/keys/receipt-signing.p12.password");
        Path crt = dir.resolve("data/keys/receipt-signing.crt");
        assertThat(keystore).isRegularFile();
        assertThat(passwordFile).isRegularFile();
        assertThat(crt).isRegularFile();
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keystore))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
                    .isEqualTo("rw-------");
        }
        try (InputStream in = Files.newInputStream(crt)) {
            X509Certificate pem = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            assertThat(pem).isEqualTo(first.certificate());
        }

        char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
        assertThat(ReceiptSigningKey.load(keystore, password).certificate()).isEqualTo(first.certificate());
    }

    @Test
    void certificateIsSelfSignedForTenYearsWithSigningKeyUsage() throws Exception {
        X509Certificate cert = ReceiptSigningKey.loadOrCreate(dir.resolve("k.p12"), CLOCK).certificate();

        assertThat(cert.getSubjectX500Principal()).isEqualTo(cert.getIssuerX500Principal());
        assertThat(cert.getSubjectX500Principal().getName())
                .isEqualTo("CN=carbonledger receipt signing,O=carbonledger");
        cert.verify(cert.getPublicKey());
        assertThat(cert.getNotBefore().toInstant()).isEqualTo(NOW);
        assertThat(cert.getNotAfter().toInstant())
                .isEqualTo(ZonedDateTime.ofInstant(NOW, ZoneOffset.UTC).plusYears(10).toInstant());
        boolean[] usage = cert.getKeyUsage();
        assertThat(usage[0]).as("digitalSignature").isTrue();
        assertThat(usage[1]).as("nonRepudiation").isTrue();
        assertThat(usage[5]).as("keyCertSign").isFalse();
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void differentFilesGiveDifferentKeys() {
        ReceiptSigningKey a = ReceiptSigningKey.loadOrCreate(dir.resolve("a.p12"), CLOCK);
        ReceiptSigningKey b = ReceiptSigningKey.loadOrCreate(dir.resolve("b.p12"), CLOCK);

        assertThat(a.certificate()).isNotEqualTo(b.certificate());
    }

    @Test
    void wrongPasswordOrMissingPasswordFileFailsClearly() throws IOException {
        Path keystore = dir.resolve("k.p12");
        ReceiptSigningKey.loadOrCreate(keystore, CLOCK);

        assertThatThrownBy(() -> ReceiptSigningKey.load(keystore, "wrong".toCharArray()))
                .isInstanceOf(IllegalStateException.class);

        Files.delete(dir.resolve("k.p12.password"));
        assertThatThrownBy(() -> ReceiptSigningKey.loadOrCreate(keystore, CLOCK))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("password file");
    }
}
