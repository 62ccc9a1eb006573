package org.carbonledger.receipts.signing;

import org.carbonledger.shared.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;

import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.enumerations.SignatureAlgorithm;
import eu.europa.esig.dss.model.SignatureValue;
import eu.europa.esig.dss.model.ToBeSigned;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.GetPublicKeyResponse;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MessageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * A receipt signing key held in AWS KMS (an asymmetric {@code ECC_NIST_P256} key with usage {@code SIGN_VERIFY}):
 * the private key never leaves KMS. Signatures are ECDSA over SHA-256 digests computed here and signed by KMS
 * ({@code Sign} with message type {@code DIGEST}).
 *
 * <p>KMS keeps no certificate. The first start creates one — self-signed, its to-be-signed part signed by KMS — and
 * hands it to a {@link CertificateStore}, which keeps the first one written so that every instance embeds the same
 * certificate.
 */
public final class KmsSigningKey implements SigningKey {

    /** Keeps the certificate of a KMS key; {@code create} runs only when none is kept yet. */
    @FunctionalInterface
    public interface CertificateStore {
        X509Certificate loadOrSave(String keyId, Supplier<X509Certificate> create);
    }

    private final KmsClient kms;
    private final String keyId;
    private final X509Certificate certificate;

    private KmsSigningKey(KmsClient kms, String keyId, X509Certificate certificate) {
        this.kms = kms;
        this.keyId = keyId;
        this.certificate = certificate;
    }

    /**
     * Connects to the key: checks its spec and usage, and loads or creates its certificate.
     *
     * @throws IllegalStateException if the key is not an ECC_NIST_P256 signing key, or the kept certificate belongs to
     *                               another public key
     */
    public static KmsSigningKey connect(KmsClient kms, String keyId, CertificateStore certificates, Clock clock) {
        Objects.requireNonNull(kms, "kms");
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("a KMS key id is required");
        }
        GetPublicKeyResponse response = kms.getPublicKey(b -> b.keyId(keyId));
        if (response.keySpec() != KeySpec.ECC_NIST_P256 || response.keyUsage() != KeyUsageType.SIGN_VERIFY) {
            throw new IllegalStateException("KMS key " + keyId + " must be an ECC_NIST_P256 key with usage "
                    + "SIGN_VERIFY, not " + response.keySpecAsString() + " / " + response.keyUsageAsString());
        }
        PublicKey publicKey = publicKey(response.publicKey().asByteArray());
        KmsSigningKey unsigned = new KmsSigningKey(kms, keyId, null);
        X509Certificate certificate = certificates.loadOrSave(keyId, () -> {
            try {
                return ReceiptSigningKey.selfSign(publicKey, unsigned.contentSigner(), clock.instant(),
                        new SecureRandom());
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("could not create the certificate of KMS key " + keyId, e);
            }
        });
        if (!certificate.getPublicKey().equals(publicKey)) {
            throw new IllegalStateException("the certificate kept for KMS key " + keyId
                    + " belongs to another public key");
        }
        return new KmsSigningKey(kms, keyId, certificate);
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    @Override
    public SignatureValue sign(ToBeSigned data, DigestAlgorithm digestAlgorithm) {
        if (digestAlgorithm != DigestAlgorithm.SHA256) {
            throw new IllegalArgumentException("KMS receipt signing uses SHA-256, not " + digestAlgorithm);
        }
        return new SignatureValue(SignatureAlgorithm.ECDSA_SHA256, signDigest(Sha256.digest(data.getBytes())));
    }

    /** ECDSA signature (DER) of a SHA-256 digest, by KMS. */
    private byte[] signDigest(byte[] digest) {
        return kms.sign(b -> b.keyId(keyId).message(SdkBytes.fromByteArray(digest))
                .messageType(MessageType.DIGEST).signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
                .signature().asByteArray();
    }

    /** A BouncyCastle signer whose signature KMS makes, for the self-signed certificate. */
    private ContentSigner contentSigner() {
        AlgorithmIdentifier algorithm = new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withECDSA");
        ByteArrayOutputStream tbs = new ByteArrayOutputStream();
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algorithm;
            }

            @Override
            public OutputStream getOutputStream() {
                return tbs;
            }

            @Override
            public byte[] getSignature() {
                return signDigest(Sha256.digest(tbs.toByteArray()));
            }
        };
    }

    private static PublicKey publicKey(byte[] subjectPublicKeyInfo) {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("KMS returned a public key that is not an EC key", e);
        }
    }

}
