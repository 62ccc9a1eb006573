package org.carbonledger.receipts.signing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Enumeration;
import java.util.Objects;
import java.util.Set;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.model.SignatureValue;
import eu.europa.esig.dss.model.ToBeSigned;
import eu.europa.esig.dss.token.DSSPrivateKeyEntry;
import eu.europa.esig.dss.token.Pkcs12SignatureToken;
import eu.europa.esig.dss.token.SignatureTokenConnection;

/**
 * The key that signs receipts: a PKCS#12 keystore holding one private key and its (self-signed) certificate.
 *
 * <p>{@link #loadOrCreate(Path, Clock)} generates an EC P-256 key and a ten-year self-signed certificate on first
 * use, next to a random password file ({@code <keystore>.password}) and the certificate as PEM
 * ({@code <keystore-without-extension>.crt}), which verifiers can use as trust anchor.
 */
public final class ReceiptSigningKey implements SigningKey {

    public static final String SUBJECT = "CN=carbonledger receipt signing, O=carbonledger";
    static final String ALIAS = "receipt-signing";
    private static final String KEYSTORE_TYPE = "PKCS12";

    private final byte[] keystoreBytes;
    private final char[] password;
    private final PrivateKey privateKey;
    private final X509Certificate certificate;

    private ReceiptSigningKey(byte[] keystoreBytes, char[] password) {
        this.keystoreBytes = keystoreBytes.clone();
        this.password = password.clone();
        try {
            KeyStore ks = KeyStore.getInstance(KEYSTORE_TYPE);
            ks.load(new ByteArrayInputStream(keystoreBytes), password);
            String alias = findKeyAlias(ks);
            this.privateKey = (PrivateKey) ks.getKey(alias, password);
            Certificate cert = ks.getCertificate(alias);
            if (!(cert instanceof X509Certificate x509)) {
                throw new IllegalStateException("keystore entry '" + alias + "' has no X.509 certificate");
            }
            this.certificate = x509;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not open receipt signing keystore: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the keystore at {@code keystoreFile} (password from {@code <keystoreFile>.password}), or generates a new
     * key, self-signed certificate, password file and PEM certificate when the keystore does not exist.
     */
    public static synchronized ReceiptSigningKey loadOrCreate(Path keystoreFile, Clock clock) {
        Objects.requireNonNull(keystoreFile, "keystoreFile");
        Objects.requireNonNull(clock, "clock");
        Path passwordFile = passwordFileFor(keystoreFile);
        try {
            if (Files.exists(keystoreFile)) {
                if (!Files.exists(passwordFile)) {
                    throw new IllegalStateException("receipt signing keystore " + keystoreFile
                            + " exists but its password file " + passwordFile + " is missing");
                }
                char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
                return load(keystoreFile, password);
            }
            return create(keystoreFile, passwordFile, clock);
        } catch (IOException e) {
            throw new UncheckedIOException("could not load or create receipt signing key " + keystoreFile, e);
        }
    }

    /** Loads a configured PKCS#12 keystore; it must contain exactly one private key entry. */
    public static ReceiptSigningKey load(Path keystoreFile, char[] password) {
        Objects.requireNonNull(keystoreFile, "keystoreFile");
        Objects.requireNonNull(password, "password");
        try {
            return new ReceiptSigningKey(Files.readAllBytes(keystoreFile), password);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read receipt signing keystore " + keystoreFile, e);
        }
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** A fresh DSS token over this keystore; close it after use. */
    public SignatureTokenConnection openToken() {
        return new Pkcs12SignatureToken(keystoreBytes, new KeyStore.PasswordProtection(password.clone()));
    }

    /** The key entry of this key inside a token returned by {@link #openToken()}. */
    public DSSPrivateKeyEntry keyEntry(SignatureTokenConnection token) {
        return token.getKeys().stream()
                .filter(k -> k.getCertificate().getCertificate().equals(certificate))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("signing key not found in token"));
    }

    @Override
    public SignatureValue sign(ToBeSigned data, DigestAlgorithm digestAlgorithm) {
        try (SignatureTokenConnection token = openToken()) {
            return token.sign(data, digestAlgorithm, keyEntry(token));
        }
    }

    /** The certificate as PEM text. */
    public String certificatePem() {
        return toPem(certificate);
    }

    static Path passwordFileFor(Path keystoreFile) {
        return keystoreFile.resolveSibling(keystoreFile.getFileName() + ".password");
    }

    static Path certificateFileFor(Path keystoreFile) {
        String name = keystoreFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        return keystoreFile.resolveSibling(base + ".crt");
    }

    private static ReceiptSigningKey create(Path keystoreFile, Path passwordFile, Clock clock) throws IOException {
        Path parent = keystoreFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        SecureRandom random = new SecureRandom();
        byte[] pw = new byte[24];
        random.nextBytes(pw);
        char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(pw).toCharArray();
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair keyPair = generator.generateKeyPair();
            X509Certificate certificate = selfSign(keyPair, clock.instant(), random);

            KeyStore ks = KeyStore.getInstance(KEYSTORE_TYPE);
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, keyPair.getPrivate(), password, new Certificate[] {certificate});
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ks.store(out, password);
            byte[] keystoreBytes = out.toByteArray();

            writePrivate(passwordFile, new String(password).getBytes(StandardCharsets.UTF_8));
            writePrivate(keystoreFile, keystoreBytes);
            Files.writeString(certificateFileFor(keystoreFile), toPem(certificate), StandardCharsets.US_ASCII);
            return new ReceiptSigningKey(keystoreBytes, password);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not generate receipt signing key: " + e.getMessage(), e);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    private static X509Certificate selfSign(KeyPair keyPair, Instant now, SecureRandom random)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        return selfSign(keyPair.getPublic(),
                new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()), now, random);
    }

    /**
     * The ten-year self-signed receipt signing certificate of {@code publicKey}, signed by {@code signer} (the
     * matching private key, wherever it lives).
     */
    static X509Certificate selfSign(java.security.PublicKey publicKey, ContentSigner signer, Instant now,
            SecureRandom random) throws GeneralSecurityException, IOException {
        // via X500Principal so the RDNs are encoded O first, CN last, and the DN reads back as SUBJECT
        X500Name subject = X500Name.getInstance(new javax.security.auth.x500.X500Principal(SUBJECT).getEncoded());
        Instant notBefore = now.truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = notBefore.atZone(java.time.ZoneOffset.UTC).plusYears(10).toInstant();
        BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                subject, serial, Date.from(notBefore), Date.from(notAfter), subject, publicKey);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
        builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(publicKey));
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static void writePrivate(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        boolean posix = Files.getFileStore(file.toAbsolutePath().getParent())
                .supportsFileAttributeView("posix");
        if (posix) {
            Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rw-------");
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(owner));
        }
        Files.write(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String toPem(X509Certificate certificate) {
        try {
            String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded());
            return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String findKeyAlias(KeyStore ks) throws GeneralSecurityException {
        String found = null;
        for (Enumeration<String> aliases = ks.aliases(); aliases.hasMoreElements(); ) {
            String alias = aliases.nextElement();
            if (ks.isKeyEntry(alias)) {
                if (found != null) {
                    throw new IllegalStateException("keystore holds more than one private key");
                }
                found = alias;
            }
        }
        if (found == null) {
            throw new IllegalStateException("keystore holds no private key");
        }
        return found;
    }
}
