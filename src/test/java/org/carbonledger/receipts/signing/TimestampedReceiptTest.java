package org.carbonledger.receipts.signing;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import eu.europa.esig.dss.enumerations.Indication;
import eu.europa.esig.dss.enumerations.SignatureLevel;
import eu.europa.esig.dss.model.InMemoryDocument;
import eu.europa.esig.dss.model.x509.CertificateToken;
import eu.europa.esig.dss.pades.validation.PDFDocumentValidator;
import eu.europa.esig.dss.pdf.pdfbox.PdfBoxNativeObjectFactory;
import eu.europa.esig.dss.service.tsp.OnlineTSPSource;
import eu.europa.esig.dss.simplereport.SimpleReport;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.spi.x509.CommonTrustedCertificateSource;
import org.carbonledger.receipts.ReceiptFixtures;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** PAdES BASELINE-T: the signature is time-stamped by an RFC 3161 authority (a local BouncyCastle TSA here). */
class TimestampedReceiptTest {

    @TempDir
    Path dir;

    @Test
    void aReceiptSignedWithATsaIsBaselineTAndPassesDssValidation() throws Exception {
        ReceiptSigningKey key = ReceiptSigningKey.loadOrCreate(dir.resolve("k.p12"),
                Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC));
        try (LocalTimeStampAuthority tsa = new LocalTimeStampAuthority()) {
            PadesReceiptSigner signer = new PadesReceiptSigner(key, new OnlineTSPSource(tsa.url()));
            assertThat(signer.level()).isEqualTo(SignatureLevel.PAdES_BASELINE_T);
            byte[] pdf = signer.sign(new ReceiptRenderer().render(ReceiptFixtures.receipt(),
                    ReceiptFixtures.manifest()), Instant.now().minusSeconds(60));
            assertThat(tsa.requests()).isEqualTo(1);

            PDFDocumentValidator validator = new PDFDocumentValidator(new InMemoryDocument(pdf, "receipt.pdf"));
            validator.setPdfObjFactory(new PdfBoxNativeObjectFactory());
            CommonCertificateVerifier verifier = new CommonCertificateVerifier();
            verifier.setAIASource(null);
            verifier.setOcspSource(null);
            verifier.setCrlSource(null);
            CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
            trusted.addCertificate(new CertificateToken(key.certificate()));
            trusted.addCertificate(new CertificateToken(tsa.certificate()));
            verifier.setTrustedCertSources(trusted);
            validator.setCertificateVerifier(verifier);
            SimpleReport report = validator.validateDocument().getSimpleReport();
            String id = report.getFirstSignatureId();
            assertThat(report.getIndication(id)).isEqualTo(Indication.TOTAL_PASSED);
            assertThat(report.getSignatureFormat(id)).isEqualTo(SignatureLevel.PAdES_BASELINE_T);
            assertThat(report.getSignatureTimestamps(id)).hasSize(1);

            // our verifier accepts it too, and one changed byte still fails
            assertThat(new ReceiptVerifier().verify(pdf, key.certificate()).valid()).isTrue();
            byte[] tampered = pdf.clone();
            tampered[tampered.length / 3] ^= 0x01;
            assertThat(new ReceiptVerifier().verify(tampered, key.certificate()).valid()).isFalse();
        }
    }
}
