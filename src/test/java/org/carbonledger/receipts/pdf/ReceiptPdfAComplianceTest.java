package org.carbonledger.receipts.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.stream.Collectors;

import org.carbonledger.receipts.ReceiptFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;

/** Full PDF/A-3b validation with veraPDF. */
class ReceiptPdfAComplianceTest {

    @BeforeAll
    static void initVeraPdf() {
        VeraGreenfieldFoundryProvider.initialise();
    }

    @Test
    void singlePageReceiptIsPdfA3b() throws Exception {
        assertCompliant(new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest()));
    }

    @Test
    void receiptWithCheckpointAndQrCodeIsPdfA3b() throws Exception {
        assertCompliant(new ReceiptRenderer().render(ReceiptFixtures.withLogAndQr(ReceiptFixtures.receipt(),
                "https://carbonledger.example/v1/receipts/verify"), ReceiptFixtures.manifest()));
    }

    @Test
    void multiPageReceiptWithoutOffsetsIsPdfA3b() throws Exception {
        assertCompliant(new ReceiptRenderer().render(ReceiptFixtures.receipt(120, false), ReceiptFixtures.manifest()));
    }

    @Test
    void signedReceiptIsStillPdfA3b(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var key = org.carbonledger.receipts.signing.ReceiptSigningKey.loadOrCreate(dir.resolve("k.p12"),
                java.time.Clock.fixed(java.time.Instant.parse("2025-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        byte[] pdf = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        assertCompliant(new org.carbonledger.receipts.signing.PadesReceiptSigner(key)
                .sign(pdf, ReceiptFixtures.ISSUED_AT));
    }

    @Test
    void validatorRejectsAPlainPdf() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (org.apache.pdfbox.pdmodel.PDDocument doc = new org.apache.pdfbox.pdmodel.PDDocument()) {
            doc.addPage(new org.apache.pdfbox.pdmodel.PDPage());
            doc.save(out);
        }
        assertThat(validate(out.toByteArray()).isCompliant()).isFalse();
    }

    private static void assertCompliant(byte[] pdf) throws Exception {
        ValidationResult result = validate(pdf);
        String failures = result.getTestAssertions().stream()
                .filter(a -> a.getStatus() != TestAssertion.Status.PASSED)
                .map(a -> a.getRuleId().getClause() + "-" + a.getRuleId().getTestNumber() + ": " + a.getMessage())
                .distinct()
                .collect(Collectors.joining("\n"));
        assertThat(result.isCompliant()).as(failures).isTrue();
    }

    private static ValidationResult validate(byte[] pdf) throws Exception {
        try (PDFAParser parser = Foundries.defaultInstance().createParser(new ByteArrayInputStream(pdf),
                PDFAFlavour.PDFA_3_B);
             PDFAValidator validator = Foundries.defaultInstance().createValidator(PDFAFlavour.PDFA_3_B, false)) {
            return validator.validate(parser);
        }
    }
}
