package org.carbonledger.receipts.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentCatalog;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.graphics.color.PDOutputIntent;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.xmpbox.XMPMetadata;
import org.apache.xmpbox.schema.DublinCoreSchema;
import org.apache.xmpbox.schema.PDFAIdentificationSchema;
import org.apache.xmpbox.xml.DomXmpParser;
import org.carbonledger.receipts.ReceiptFixtures;
import org.junit.jupiter.api.Test;

class ReceiptRendererTest {

    final ReceiptRenderer renderer = new ReceiptRenderer();

    @Test
    void printsTheReceipt() throws IOException {
        String text = text(renderer.render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest()));

        assertThat(text).contains("Carbon receipt", "CR-2025-000042", "Acme Inference GmbH – Zürich",
                "6f1c1a52-3c55-4c3e-9a7e-0d1f2a3b4c5d", "INV-2025-0017",
                "2025-01-01 to 2025-01-31",            // end exclusive printed as last day inclusive
                "12.345678 kWh",                        // kWh with 6 decimals
                "4,567.891 g", "3,210.500 g",           // grams with 3 decimals
                "3,900.000 g to 5,300.250 g",
                "workload-2", "llama-3.1-70b", "0.012346", "4.568", "EUR 0.0042",
                "Verra", "VCS-1234", "RET-42", "13,703.670 g", "RETIRED",
                "EUR 25.00", "EUR 123.45",
                "cl-method-1.2", "ember-2024.2",
                "PAdES-signed", "carbonledger-receipt.json");
        assertThat(text).doesNotContain("No offsets retired yet");
    }

    @Test
    void saysWhenNoOffsetsWereRetired() throws IOException {
        String text = text(renderer.render(ReceiptFixtures.receipt(1, false), ReceiptFixtures.manifest()));

        assertThat(text).contains("No offsets retired yet");
    }

    @Test
    void longTablesContinueOnFurtherPages() throws IOException {
        byte[] pdf = renderer.render(ReceiptFixtures.receipt(150, true), ReceiptFixtures.manifest());

        try (PDDocument doc = Loader.loadPDF(pdf)) {
            assertThat(doc.getNumberOfPages()).isGreaterThan(2);
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setStartPage(doc.getNumberOfPages());
            stripper.setEndPage(doc.getNumberOfPages());
            String lastPage = stripper.getText(doc);
            assertThat(lastPage).contains("PAdES-signed", "page " + doc.getNumberOfPages() + " of "
                    + doc.getNumberOfPages());
            assertThat(text(pdf)).contains("workload-0", "workload-149");
        }
    }

    @Test
    void renderingIsDeterministic() {
        byte[] a = renderer.render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        byte[] b = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());

        assertThat(a).isEqualTo(b);
    }

    @Test
    void manifestIsAttachedAsAssociatedFile() throws IOException {
        byte[] pdf = renderer.render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());

        assertThat(ReceiptManifestReader.readManifest(pdf)).isEqualTo(ReceiptFixtures.manifest());
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            PDDocumentCatalog catalog = doc.getDocumentCatalog();
            COSArray af = (COSArray) catalog.getCOSObject().getDictionaryObject(COSName.getPDFName("AF"));
            assertThat(af).as("catalog /AF").isNotNull().hasSize(1);
            COSDictionary spec = (COSDictionary) af.getObject(0);
            assertThat(spec.getString(COSName.F)).isEqualTo("carbonledger-receipt.json");
            assertThat(spec.getString(COSName.UF)).isEqualTo("carbonledger-receipt.json");
            assertThat(spec.getNameAsString(COSName.getPDFName("AFRelationship"))).isEqualTo("Data");

            PDComplexFileSpecification fromTree = catalog.getNames().getEmbeddedFiles().getNames()
                    .get("carbonledger-receipt.json");
            assertThat(fromTree.getCOSObject()).isSameAs(spec);
            assertThat(fromTree.getEmbeddedFile().getSubtype()).isEqualTo("application/json");
            assertThat(fromTree.getEmbeddedFile().getModDate()).isNotNull();
        }
    }

    @Test
    void isPdfA3bShaped() throws Exception {
        byte[] pdf = renderer.render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());

        try (PDDocument doc = Loader.loadPDF(pdf)) {
            PDDocumentCatalog catalog = doc.getDocumentCatalog();
            assertThat(catalog.getOutputIntents()).hasSize(1);
            PDOutputIntent intent = catalog.getOutputIntents().get(0);
            assertThat(intent.getCOSObject().getNameAsString(COSName.S)).isEqualTo("GTS_PDFA1");
            assertThat(intent.getDestOutputIntent()).isNotNull();
            assertThat(new org.apache.pdfbox.pdmodel.common.PDStream(intent.getDestOutputIntent()).toByteArray()).hasSizeGreaterThan(128);

            XMPMetadata xmp = new DomXmpParser().parse(catalog.getMetadata().toByteArray());
            PDFAIdentificationSchema pdfaid = xmp.getPDFAIdentificationSchema();
            assertThat(pdfaid.getPart()).isEqualTo(3);
            assertThat(pdfaid.getConformance()).isEqualTo("B");
            DublinCoreSchema dc = xmp.getDublinCoreSchema();
            assertThat(dc.getTitle()).isEqualTo(doc.getDocumentInformation().getTitle())
                    .isEqualTo("Carbon receipt CR-2025-000042");
            assertThat(dc.getCreators()).containsExactly(doc.getDocumentInformation().getAuthor());
            assertThat(xmp.getXMPBasicSchema().getCreatorTool()).isEqualTo(doc.getDocumentInformation().getCreator());
            assertThat(xmp.getAdobePDFSchema().getProducer()).isEqualTo(doc.getDocumentInformation().getProducer());
            assertThat(xmp.getXMPBasicSchema().getCreateDate().toInstant())
                    .isEqualTo(doc.getDocumentInformation().getCreationDate().toInstant())
                    .isEqualTo(ReceiptFixtures.ISSUED_AT);

            COSArray id = doc.getDocument().getTrailer().getCOSArray(COSName.ID);
            assertThat(id).as("trailer /ID").isNotNull().hasSize(2);

            for (PDPage page : doc.getPages()) {
                PDResources resources = page.getResources();
                for (COSName name : resources.getFontNames()) {
                    PDFont font = resources.getFont(name);
                    assertThat(font).isInstanceOf(PDType0Font.class);
                    assertThat(font.isEmbedded()).as(font.getName() + " embedded").isTrue();
                    assertThat(font.getName()).contains("DejaVuSans");
                    assertThat(font.isStandard14()).isFalse();
                }
            }
        }
    }

    private static String text(byte[] pdf) throws IOException {
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            return new PDFTextStripper().getText(doc);
        }
    }
}
