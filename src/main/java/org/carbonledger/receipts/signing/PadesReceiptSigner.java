package org.carbonledger.receipts.signing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;

import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.enumerations.MimeTypeEnum;
import eu.europa.esig.dss.enumerations.SignatureLevel;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.InMemoryDocument;
import eu.europa.esig.dss.model.SignatureValue;
import eu.europa.esig.dss.model.ToBeSigned;
import eu.europa.esig.dss.model.x509.CertificateToken;
import eu.europa.esig.dss.pades.PAdESSignatureParameters;
import eu.europa.esig.dss.pades.signature.PAdESService;
import eu.europa.esig.dss.pdf.pdfbox.PdfBoxNativeObjectFactory;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;

/**
 * Signs receipt PDFs with a PAdES BASELINE-B signature (SHA-256, invisible signature field).
 *
 * <p>Adding a timestamp later (BASELINE-T) means giving the service a TSP source and switching {@link #level};
 * everything else stays as is.
 */
public class PadesReceiptSigner {

    public static final String SIGNING_REASON = "carbonledger receipt";

    private final SigningKey key;
    private final SignatureLevel level;
    private final PAdESService service;

    public PadesReceiptSigner(SigningKey key) {
        this.key = Objects.requireNonNull(key, "key");
        this.level = SignatureLevel.PAdES_BASELINE_B;
        CommonCertificateVerifier verifier = new CommonCertificateVerifier();
        // offline: the receipt certificate is self-signed, nothing to fetch
        verifier.setAIASource(null);
        verifier.setOcspSource(null);
        verifier.setCrlSource(null);
        this.service = new PAdESService(verifier);
        this.service.setPdfObjFactory(new PdfBoxNativeObjectFactory());
    }

    /**
     * Signs the PDF.
     *
     * @param pdf         the unsigned receipt
     * @param signingTime claimed signing time written into the signature
     * @return the signed PDF (the original bytes plus an incremental update)
     * @throws RuntimeException (a DSS {@code AlertException}) if {@code signingTime} lies outside the validity of
     *                          the signing certificate, e.g. before a freshly generated key was created
     */
    public byte[] sign(byte[] pdf, Instant signingTime) {
        if (pdf == null || pdf.length == 0) {
            throw new IllegalArgumentException("pdf is required");
        }
        Objects.requireNonNull(signingTime, "signingTime");
        DSSDocument document = new InMemoryDocument(pdf, "receipt.pdf", MimeTypeEnum.PDF);
        PAdESSignatureParameters parameters = parameters(signingTime);
        // two steps: the key signs DSS's data to be signed wherever it lives (keystore in memory, or KMS)
        ToBeSigned toBeSigned = service.getDataToSign(document, parameters);
        SignatureValue value = key.sign(toBeSigned, parameters.getDigestAlgorithm());
        DSSDocument signed = service.signDocument(document, parameters, value);
        try (InputStream in = signed.openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not sign receipt", e);
        }
    }

    private PAdESSignatureParameters parameters(Instant signingTime) {
        PAdESSignatureParameters parameters = new PAdESSignatureParameters();
        parameters.setSignatureLevel(level);
        parameters.setDigestAlgorithm(DigestAlgorithm.SHA256);
        CertificateToken certificate = new CertificateToken(key.certificate());
        parameters.setSigningCertificate(certificate);
        parameters.setCertificateChain(List.of(certificate));
        parameters.bLevel().setSigningDate(Date.from(signingTime));
        parameters.setReason(SIGNING_REASON);
        parameters.setSignerName("carbonledger");
        return parameters;
    }
}
