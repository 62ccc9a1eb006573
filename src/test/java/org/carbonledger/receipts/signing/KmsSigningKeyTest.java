package org.carbonledger.receipts.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.carbonledger.receipts.ReceiptFixtures;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/** The KMS signing key through the AWS SDK against a KMS-shaped stub: certificate, PAdES signature, verification. */
class KmsSigningKeyTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

    KmsStub stub;
    KmsClient kms;

    /** In-memory certificate store counting how often a certificate had to be created. */
    final Map<String, X509Certificate> kept = new HashMap<>();
    final AtomicInteger created = new AtomicInteger();
    final KmsSigningKey.CertificateStore store = (keyId, create) -> kept.computeIfAbsent(keyId, k -> {
        created.incrementAndGet();
        return create.get();
    });

    void start(String keySpec, String keyUsage) throws Exception {
        stub = new KmsStub(keySpec, keyUsage);
        kms = KmsClient.builder().endpointOverride(stub.endpoint()).region(Region.EU_CENTRAL_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    @AfterEach
    void stop() {
        if (kms != null) {
            kms.close();
        }
        if (stub != null) {
            stub.close();
        }
    }

    @Test
    void signsAReceiptThatVerifiesAgainstTheKmsKeysCertificate() throws Exception {
        start("ECC_NIST_P256", "SIGN_VERIFY");
        KmsSigningKey key = KmsSigningKey.connect(kms, KmsStub.KEY_ID, store, CLOCK);

        X509Certificate certificate = key.certificate();
        assertThat(certificate.getPublicKey()).isEqualTo(stub.keyPair.getPublic());
        certificate.verify(stub.keyPair.getPublic());   // self-signed, by KMS
        assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=carbonledger receipt signing");

        byte[] pdf = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        Instant signedAt = Instant.parse("2025-02-01T09:30:00Z");
        byte[] signed = new PadesReceiptSigner(key).sign(pdf, signedAt);

        VerificationResult result = new ReceiptVerifier().verify(signed, certificate);
        assertThat(result.valid()).as(result.reason()).isTrue();
        assertThat(result.anchored()).isTrue();
        assertThat(result.signingTime()).isEqualTo(signedAt);
        assertThat(result.manifestJson()).isEqualTo(ReceiptFixtures.manifest());
        // the certificate and the document: both signed by KMS, over digests computed here
        assertThat(stub.signRequests).hasSize(2)
                .allSatisfy(r -> assertThat(r.path("MessageType").asString()).isEqualTo("DIGEST"));
    }

    @Test
    void theCertificateIsCreatedOnceAndReused() throws Exception {
        start("ECC_NIST_P256", "SIGN_VERIFY");
        X509Certificate first = KmsSigningKey.connect(kms, KmsStub.KEY_ID, store, CLOCK).certificate();
        X509Certificate second = KmsSigningKey.connect(kms, KmsStub.KEY_ID, store, CLOCK).certificate();

        assertThat(second).isEqualTo(first);
        assertThat(created).hasValue(1);
    }

    @Test
    void aCertificateOfAnotherKeyIsRefused() throws Exception {
        start("ECC_NIST_P256", "SIGN_VERIFY");
        X509Certificate other = ReceiptSigningKey.loadOrCreate(
                java.nio.file.Files.createTempDirectory("kms-test").resolve("other.p12"), CLOCK).certificate();
        kept.put(KmsStub.KEY_ID, other);

        assertThatThrownBy(() -> KmsSigningKey.connect(kms, KmsStub.KEY_ID, store, CLOCK))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the certificate kept for KMS key " + KmsStub.KEY_ID + " belongs to another public key");
    }

    @Test
    void aKeyThatIsNotAP256SigningKeyIsRefused() throws Exception {
        start("ECC_NIST_P256", "ENCRYPT_DECRYPT");
        assertThatThrownBy(() -> KmsSigningKey.connect(kms, KmsStub.KEY_ID, store, CLOCK))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("KMS key " + KmsStub.KEY_ID
                        + " must be an ECC_NIST_P256 key with usage SIGN_VERIFY, not ECC_NIST_P256 / ENCRYPT_DECRYPT");
        assertThat(created).hasValue(0);
    }

    @Test
    void anUnknownKeyIsReportedByKms() throws Exception {
        start("ECC_NIST_P256", "SIGN_VERIFY");
        assertThatThrownBy(() -> KmsSigningKey.connect(kms, "alias/none", store, CLOCK))
                .isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("Key not found");
    }
}
