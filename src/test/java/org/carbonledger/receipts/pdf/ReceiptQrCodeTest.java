package org.carbonledger.receipts.pdf;

import java.awt.image.BufferedImage;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.text.PDFTextStripper;
import org.carbonledger.receipts.ReceiptFixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The receipt carries a scannable QR code of its verification URL and shows the log checkpoint. */
class ReceiptQrCodeTest {

    @Test
    void theQrCodeOnThePageDecodesToTheVerificationUrl() throws Exception {
        String url = "https://carbonledger.example/v1/receipts/verify";
        byte[] pdf = new ReceiptRenderer().render(ReceiptFixtures.withLogAndQr(ReceiptFixtures.receipt(), url),
                ReceiptFixtures.manifest());
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            String text = new PDFTextStripper().getText(doc);
            assertThat(text).contains("Transparency log checkpoint").contains("1234").contains(url);
            String decoded = null;
            for (int page = 0; page < doc.getNumberOfPages() && decoded == null; page++) {
                BufferedImage image = new PDFRenderer(doc).renderImageWithDPI(page, 150);
                int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
                try {
                    decoded = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(
                            new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)))).getText();
                } catch (com.google.zxing.NotFoundException e) {
                    // not on this page
                }
            }
            assertThat(decoded).isEqualTo(url);
        }
    }

    @Test
    void withoutAUrlThereIsNoVerificationSection() throws Exception {
        byte[] pdf = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            assertThat(new PDFTextStripper().getText(doc)).doesNotContain("Verify this receipt");
        }
    }
}
