package org.carbonledger.receipts.signing;

import org.carbonledger.shared.Sha256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.carbonledger.receipts.pdf.ReceiptManifestReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import eu.europa.esig.dss.enumerations.Indication;
import eu.europa.esig.dss.enumerations.SubIndication;
import eu.europa.esig.dss.model.InMemoryDocument;
import eu.europa.esig.dss.model.x509.CertificateToken;
import eu.europa.esig.dss.pades.validation.PAdESSignature;
import eu.europa.esig.dss.pades.validation.PDFDocumentValidator;
import eu.europa.esig.dss.pdf.pdfbox.PdfBoxNativeObjectFactory;
import eu.europa.esig.dss.simplereport.SimpleReport;
import eu.europa.esig.dss.spi.signature.AdvancedSignature;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.spi.x509.CommonTrustedCertificateSource;
import eu.europa.esig.dss.validation.reports.Reports;

/**
 * Verifies a signed receipt offline with EU DSS and a few stricter checks of our own.
 *
 * <p>A receipt is valid only if it carries exactly one PAdES signature, DSS reports {@code TOTAL_PASSED} under the
 * default validation policy, the signature's ByteRange covers the whole file, and the {@code /Contents} value holds
 * exactly one DER object followed by zero padding only. With a trust anchor the signing certificate must be the
 * anchor; without one the certificate embedded in the signature is trusted (trust on first use).
 *
 * <p>Never throws for bad input: anything unreadable yields {@code valid=false} with a reason.
 */
public class ReceiptVerifier {

    public static final String REASON_MODIFIED = "document was modified after signing: signature digest does not match";
    public static final String REASON_UNTRUSTED = "signature is not from the trusted receipt-signing certificate";
    public static final String REASON_NO_SIGNATURE = "no signature found";

    private static final Logger log = LoggerFactory.getLogger(ReceiptVerifier.class);

    public VerificationResult verify(byte[] pdf, X509Certificate trustAnchorOrNull) {
        boolean anchored = trustAnchorOrNull != null;
        try {
            return doVerify(pdf, trustAnchorOrNull);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
            log.debug("receipt verification failed", e);
            return VerificationResult.invalid("could not read the signed PDF: " + describe(e), anchored);
        }
    }

    private VerificationResult doVerify(byte[] pdf, X509Certificate anchor) {
        boolean anchored = anchor != null;
        if (pdf == null || pdf.length == 0) {
            return VerificationResult.invalid("not a PDF: no bytes", anchored);
        }
        if (!looksLikePdf(pdf)) {
            return VerificationResult.invalid("not a PDF: missing %PDF- header", anchored);
        }

        PDFDocumentValidator validator = new PDFDocumentValidator(new InMemoryDocument(pdf, "receipt.pdf"));
        validator.setPdfObjFactory(new PdfBoxNativeObjectFactory());
        CommonCertificateVerifier verifier = new CommonCertificateVerifier();
        verifier.setAIASource(null);
        verifier.setOcspSource(null);
        verifier.setCrlSource(null);
        CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
        verifier.setTrustedCertSources(trusted);
        validator.setCertificateVerifier(verifier);

        List<AdvancedSignature> signatures = validator.getSignatures();
        if (signatures.isEmpty()) {
            return VerificationResult.invalid(REASON_NO_SIGNATURE, anchored);
        }
        if (signatures.size() > 1) {
            return VerificationResult.invalid("expected exactly one signature, found " + signatures.size(), anchored);
        }
        if (!(signatures.get(0) instanceof PAdESSignature signature)) {
            return VerificationResult.invalid("signature is not a PAdES signature", anchored);
        }

        // 1. the signature must cover the whole file
        List<BigInteger> range = signature.getPdfRevision().getByteRange().toBigIntegerList();
        if (range.size() != 4) {
            return VerificationResult.invalid("signature ByteRange is malformed", anchored);
        }
        long start1 = range.get(0).longValueExact();
        long len1 = range.get(1).longValueExact();
        long start2 = range.get(2).longValueExact();
        long len2 = range.get(3).longValueExact();
        if (start1 != 0) {
            return VerificationResult.invalid("signature does not cover the start of the file", anchored);
        }
        if (len1 < 0 || len2 < 0 || start2 <= len1 || start2 + len2 > pdf.length) {
            return VerificationResult.invalid("signature ByteRange is malformed", anchored);
        }
        if (start2 + len2 != pdf.length) {
            return VerificationResult.invalid("document was modified after signing: "
                    + (pdf.length - start2 - len2) + " bytes were appended after the signed range", anchored);
        }

        // 2. /Contents: exactly one DER object, then only zero padding
        ContentsCheck contents = checkContents(pdf, (int) len1, (int) start2);
        if (contents.problem != null) {
            return VerificationResult.invalid(contents.problem, anchored);
        }

        // 3. who signed
        X509Certificate signer;
        try {
            signer = signerCertificate(contents.der);
        } catch (CMSException | CertificateException | IllegalStateException e) {
            return VerificationResult.invalid("signature value is malformed: " + describe(e), anchored);
        }
        String subject = signer.getSubjectX500Principal().getName(X500Principal.RFC2253);
        String fingerprint = sha256Hex(signer);
        if (anchored && !signer.equals(anchor)) {
            return new VerificationResult(false, REASON_UNTRUSTED, subject, fingerprint, null, true, null, signer);
        }
        trusted.addCertificate(new CertificateToken(anchored ? anchor : signer));

        // 4. DSS: digest, signature value, certificate, policy
        Reports reports = validator.validateDocument();
        SimpleReport simple = reports.getSimpleReport();
        if (simple.getSignaturesCount() != 1) {
            return new VerificationResult(false, "expected exactly one signature, validator found "
                    + simple.getSignaturesCount(), subject, fingerprint, null, anchored, null, signer);
        }
        String id = simple.getFirstSignatureId();
        Date claimed = simple.getSigningTime(id);
        Instant signingTime = claimed == null ? null : claimed.toInstant();
        Indication indication = simple.getIndication(id);
        if (indication != Indication.TOTAL_PASSED) {
            String reason = reasonFor(indication, simple.getSubIndication(id), simple, id);
            return new VerificationResult(false, reason, subject, fingerprint, signingTime, anchored, null, signer);
        }

        Optional<byte[]> manifest = ReceiptManifestReader.findManifest(pdf);
        if (manifest.isEmpty()) {
            return new VerificationResult(false, "signature valid, but the receipt has no attached manifest",
                    subject, fingerprint, signingTime, anchored, null, signer);
        }
        String how = anchored ? "signed by the trusted receipt-signing certificate"
                : "signed by the certificate embedded in the signature (not checked against a trust anchor)";
        return new VerificationResult(true, "signature valid: " + how, subject, fingerprint, signingTime,
                anchored, manifest.get(), signer);
    }

    private static String reasonFor(Indication indication, SubIndication sub, SimpleReport report, String id) {
        if (sub == SubIndication.HASH_FAILURE) {
            return REASON_MODIFIED;
        }
        if (sub == SubIndication.SIG_CRYPTO_FAILURE) {
            return "signature value does not verify (cryptographic check failed)";
        }
        if (sub == SubIndication.NO_CERTIFICATE_CHAIN_FOUND || sub == SubIndication.NO_CERTIFICATE_CHAIN_FOUND_NO_POE
                || sub == SubIndication.NO_SIGNING_CERTIFICATE_FOUND) {
            return REASON_UNTRUSTED;
        }
        if (sub == SubIndication.FORMAT_FAILURE) {
            return "signature format is invalid" + firstError(report, id);
        }
        return "signature validation failed: " + indication + (sub == null ? "" : "/" + sub) + firstError(report, id);
    }

    private static String firstError(SimpleReport report, String id) {
        try {
            var errors = report.getAdESValidationErrors(id);
            if (errors != null && !errors.isEmpty()) {
                return " (" + errors.get(0).getValue() + ")";
            }
        } catch (RuntimeException ignored) {
            // best effort only
        }
        return "";
    }

    private record ContentsCheck(byte[] der, String problem) {
    }

    /** Checks the gap between the two signed ranges: {@code <hex>} holding one DER object plus zero padding. */
    static ContentsCheck checkContents(byte[] pdf, int gapStart, int gapEnd) {
        if (gapEnd - gapStart < 2 || pdf[gapStart] != '<' || pdf[gapEnd - 1] != '>') {
            return new ContentsCheck(null, "signature /Contents is not a hex string");
        }
        int hexLength = gapEnd - gapStart - 2;
        if (hexLength % 2 != 0) {
            return new ContentsCheck(null, "signature /Contents has an odd number of hex digits");
        }
        byte[] value = new byte[hexLength / 2];
        for (int i = 0; i < value.length; i++) {
            int hi = Character.digit(pdf[gapStart + 1 + 2 * i], 16);
            int lo = Character.digit(pdf[gapStart + 2 + 2 * i], 16);
            if (hi < 0 || lo < 0) {
                return new ContentsCheck(null, "signature /Contents contains a non-hex character");
            }
            value[i] = (byte) ((hi << 4) | lo);
        }
        int derLength = derObjectLength(value);
        if (derLength < 0) {
            return new ContentsCheck(null, "signature /Contents does not start with a DER-encoded CMS object");
        }
        for (int i = derLength; i < value.length; i++) {
            if (value[i] != 0) {
                return new ContentsCheck(null, "document was modified after signing: signature /Contents padding "
                        + "is not all zero (byte " + i + " after a " + derLength + "-byte signature)");
            }
        }
        byte[] der = new byte[derLength];
        System.arraycopy(value, 0, der, 0, derLength);
        return new ContentsCheck(der, null);
    }

    /** Total length (header + content) of a definite-length DER SEQUENCE at the start, or -1. */
    static int derObjectLength(byte[] value) {
        if (value.length < 2 || value[0] != 0x30) {
            return -1;
        }
        int first = value[1] & 0xff;
        if (first < 0x80) {
            int total = 2 + first;
            return total <= value.length ? total : -1;
        }
        int count = first & 0x7f;
        if (count == 0 || count > 4 || value.length < 2 + count) {
            return -1; // indefinite length or absurd size: not DER
        }
        long length = 0;
        for (int i = 0; i < count; i++) {
            length = (length << 8) | (value[2 + i] & 0xff);
        }
        long total = 2L + count + length;
        return total <= value.length ? (int) total : -1;
    }

    private static X509Certificate signerCertificate(byte[] der) throws CMSException, CertificateException {
        CMSSignedData cms = new CMSSignedData(der);
        Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new IllegalStateException("expected one signer in the CMS object, found " + signers.size());
        }
        SignerInformation signer = signers.iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matches = cms.getCertificates().getMatches(signer.getSID());
        if (matches.isEmpty()) {
            throw new IllegalStateException("signing certificate is not embedded in the signature");
        }
        return new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
    }

    private static boolean looksLikePdf(byte[] pdf) {
        byte[] header = "%PDF-".getBytes(StandardCharsets.US_ASCII);
        int limit = Math.min(pdf.length - header.length, 1024);
        outer:
        for (int i = 0; i <= limit; i++) {
            for (int j = 0; j < header.length; j++) {
                if (pdf[i + j] != header[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static String sha256Hex(X509Certificate certificate) {
        try {
            return Sha256.hex(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
