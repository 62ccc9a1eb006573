package org.carbonledger.receipts.pdf;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;

import javax.xml.transform.TransformerException;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSString;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentCatalog;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.PDEmbeddedFilesNameTreeNode;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDMetadata;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.graphics.color.PDOutputIntent;
import org.apache.xmpbox.XMPMetadata;
import org.apache.xmpbox.schema.AdobePDFSchema;
import org.apache.xmpbox.schema.DublinCoreSchema;
import org.apache.xmpbox.schema.PDFAIdentificationSchema;
import org.apache.xmpbox.schema.XMPBasicSchema;
import org.apache.xmpbox.type.BadFieldValueException;
import org.apache.xmpbox.xml.XmpSerializer;

/**
 * Renders a human-readable PDF/A-3b carbon receipt with the machine-readable JSON manifest attached
 * (Factur-X pattern: embedded file with AFRelationship {@code Data}, listed in the catalog's {@code /AF}).
 *
 * <p>Rendering is deterministic: the same content and manifest give the same bytes (document ID and
 * dates are derived from the content, not from the clock).
 */
public class ReceiptRenderer {

    /** Name of the attached manifest inside the PDF. */
    public static final String MANIFEST_FILE_NAME = "carbonledger-receipt.json";
    public static final String MANIFEST_MIME_TYPE = "application/json";
    public static final String TITLE = "Carbon receipt";
    public static final String CREATOR = "carbonledger";
    public static final String PRODUCER = "carbonledger (Apache PDFBox)";

    private static final String FONT_REGULAR = "/fonts/DejaVuSans.ttf";
    private static final String FONT_BOLD = "/fonts/DejaVuSans-Bold.ttf";

    private static final float MARGIN = 50f;
    private static final float FOOTER_Y = 30f;
    private static final float BOTTOM = 60f;
    private static final float BODY_SIZE = 9.5f;
    private static final float SMALL_SIZE = 8f;
    private static final float LEADING = 13f;

    private static final DateTimeFormatter ISSUED_FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final byte[] regularFontBytes;
    private final byte[] boldFontBytes;

    public ReceiptRenderer() {
        this.regularFontBytes = readResource(FONT_REGULAR);
        this.boldFontBytes = readResource(FONT_BOLD);
    }

    /**
     * Renders the receipt.
     *
     * @param content      what to print
     * @param manifestJson the machine-readable manifest, attached as {@value #MANIFEST_FILE_NAME}
     * @return the PDF/A-3b bytes
     */
    public byte[] render(ReceiptContent content, byte[] manifestJson) {
        Objects.requireNonNull(content, "content");
        if (manifestJson == null) {
            throw new IllegalArgumentException("manifestJson is required");
        }
        try (PDDocument doc = new PDDocument()) {
            Calendar issued = utcCalendar(content.issuedAt());
            PDFont regular = PDType0Font.load(doc, new ByteArrayInputStream(regularFontBytes), true);
            PDFont bold = PDType0Font.load(doc, new ByteArrayInputStream(boldFontBytes), true);

            setDocumentId(doc, content, manifestJson);
            String title = TITLE + " " + content.receiptNumber();
            writeInfo(doc, title, issued);
            writeXmp(doc, title, issued);
            addOutputIntent(doc);
            attachManifest(doc, manifestJson, issued);

            Layout layout = new Layout(doc, regular, bold);
            drawBody(layout, content);
            layout.finish();
            layout.drawFooters(content.receiptNumber());

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("could not render receipt " + content.receiptNumber(), e);
        }
    }

    // ------------------------------------------------------------------ content

    private void drawBody(Layout l, ReceiptContent c) throws IOException {
        l.text(l.bold, 20f, MARGIN, TITLE);
        l.advance(26f);
        l.keyValue("Receipt number", c.receiptNumber());
        l.keyValue("Issued", ISSUED_FORMAT.format(c.issuedAt()));
        l.keyValue("Tenant", c.tenantName());
        l.keyValue("Tenant ID", c.tenantId().toString());
        l.keyValue("Invoice", c.invoiceNumber());
        l.keyValue("Period", c.periodStart() + " to " + c.periodLastDayInclusive() + " (inclusive)");
        l.advance(8f);

        l.heading("Totals");
        l.keyValue("Energy", kwh(c.energyKwh()) + " kWh");
        l.keyValue("CO2e, location-based (gross)", grams(c.co2eGramsLocationBased()) + " g");
        l.keyValue("CO2e, market-based (gross)", grams(c.co2eGramsMarketBased()) + " g");
        l.keyValue("Uncertainty range", grams(c.co2eGramsLow()) + " g to " + grams(c.co2eGramsHigh()) + " g");
        l.advance(8f);

        l.heading("Usage");
        float[] widths = {120f, 110f, 55f, 70f, 70f, 70f};
        boolean[] rightAligned = {false, false, true, true, true, true};
        String[] header = {"Workload", "Model", "Requests", "Energy kWh", "CO2e g", "Amount"};
        l.tableRow(header, widths, rightAligned, true);
        if (c.lines().isEmpty()) {
            l.line(l.regular, BODY_SIZE, "No usage in this period.");
        }
        for (ReceiptContent.Line line : c.lines()) {
            if (l.wouldBreak(LEADING)) {
                l.newPage();
                l.tableRow(header, widths, rightAligned, true);
            }
            l.tableRow(new String[] {
                    line.workloadName(),
                    line.model(),
                    Long.toString(line.requestCount()),
                    kwh(line.energyKwh()),
                    grams(line.co2eGrams()),
                    money(line.amount(), line.currency())
            }, widths, rightAligned, false);
        }
        l.advance(8f);

        l.heading("Offsets");
        if (c.offsets().isEmpty()) {
            l.line(l.regular, BODY_SIZE, "No offsets retired yet.");
        }
        for (ReceiptContent.Offset o : c.offsets()) {
            l.ensureSpace(LEADING * 4 + 4f);
            l.line(l.bold, BODY_SIZE, o.registry() + " " + o.projectId() + " - " + o.projectName()
                    + " (vintage " + o.vintage() + ")");
            l.line(l.regular, BODY_SIZE, "    Serial range: " + dashIfEmpty(o.serialRange())
                    + "    Retirement ID: " + dashIfEmpty(o.registryRetirementId()));
            l.line(l.regular, BODY_SIZE, "    Tonnes retired: " + o.tonnesRetired()
                    + "    Allocated to this receipt: " + grams(o.gramsAllocated()) + " g"
                    + "    Status: " + o.status());
            l.advance(4f);
        }
        l.advance(8f);

        l.heading("Price");
        l.keyValue("Price per tonne CO2e", money(c.pricePerTonne(), c.currency()));
        l.keyValue("Total", money(c.totalAmount(), c.currency()));
        l.advance(8f);

        l.heading("Methodology");
        l.keyValue("Methodology version", c.methodologyVersion());
        l.keyValue("Emission factor dataset", c.factorDatasetVersion());
        l.advance(8f);

        if (c.logCheckpoint() != null) {
            l.heading("Transparency log checkpoint");
            l.keyValue("Tree size", Long.toString(c.logCheckpoint().treeSize()));
            l.keyValue("Root hash (SHA-256)", c.logCheckpoint().rootHashHex().substring(0, 32));
            l.keyValue("", c.logCheckpoint().rootHashHex().substring(32));
            l.keyValue("Checkpoint signed at", c.logCheckpoint().timestamp().toString());
            l.advance(8f);
        }

        if (c.verificationUrl() != null) {
            drawVerification(l, c.verificationUrl());
        }

        l.ensureSpace(LEADING * 2);
        l.line(l.regular, SMALL_SIZE, "This receipt is PAdES-signed. The machine-readable JSON manifest is attached to "
                + "this PDF as " + MANIFEST_FILE_NAME + ".");
    }

    static final float QR_SIZE = 96f;

    /** A QR code of the verification URL, drawn as vector squares (no image: nothing for PDF/A to object to). */
    private static void drawVerification(Layout l, String url) throws IOException {
        l.heading("Verify this receipt");
        l.ensureSpace(QR_SIZE + LEADING);
        com.google.zxing.common.BitMatrix matrix;
        try {
            matrix = new com.google.zxing.qrcode.QRCodeWriter().encode(url, com.google.zxing.BarcodeFormat.QR_CODE, 0,
                    0, Map.of(com.google.zxing.EncodeHintType.MARGIN, 0,
                            com.google.zxing.EncodeHintType.ERROR_CORRECTION,
                            com.google.zxing.qrcode.decoder.ErrorCorrectionLevel.M));
        } catch (com.google.zxing.WriterException e) {
            throw new IllegalArgumentException("verification URL cannot be encoded as a QR code: " + e.getMessage(), e);
        }
        float module = QR_SIZE / matrix.getWidth();
        float top = l.y;
        for (int row = 0; row < matrix.getHeight(); row++) {
            for (int col = 0; col < matrix.getWidth(); col++) {
                if (matrix.get(col, row)) {
                    l.stream.addRect(MARGIN + col * module, top - (row + 1) * module, module, module);
                }
            }
        }
        l.stream.fill();
        float textX = MARGIN + QR_SIZE + 14f;
        float textWidth = l.width - QR_SIZE - 14f;
        float lineY = top - BODY_SIZE;
        for (String part : new String[] {"Send this PDF to", url,
                "(HTTP POST, Content-Type: application/pdf), or check it offline:",
                "carbonledger verify receipt.pdf --trust certificate.pem"}) {
            l.textAt(l.regular, BODY_SIZE, textX, lineY, Layout.fit(l.regular, BODY_SIZE, part, textWidth));
            lineY -= LEADING;
        }
        l.y = top - QR_SIZE - LEADING;
    }

    private static String dashIfEmpty(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }

    static String grams(BigDecimal value) {
        return decimal(value, 3);
    }

    static String kwh(BigDecimal value) {
        return decimal(value, 6);
    }

    static String money(BigDecimal amount, String currency) {
        int digits = 2;
        try {
            int d = Currency.getInstance(currency.toUpperCase(Locale.ROOT)).getDefaultFractionDigits();
            if (d >= 0) {
                digits = d;
            }
        } catch (IllegalArgumentException unknownCurrency) {
            // keep two decimals
        }
        // keep sub-unit precision (e.g. fractions of a cent on per-request pricing), up to 6 decimals
        int scale = Math.max(digits, Math.min(Math.max(amount.stripTrailingZeros().scale(), 0), 6));
        return currency.toUpperCase(Locale.ROOT) + " " + decimal(amount, scale);
    }

    private static String decimal(BigDecimal value, int scale) {
        StringBuilder pattern = new StringBuilder("#,##0");
        if (scale > 0) {
            pattern.append('.').append("0".repeat(scale));
        }
        DecimalFormat format = new DecimalFormat(pattern.toString(), DecimalFormatSymbols.getInstance(Locale.ROOT));
        format.setRoundingMode(RoundingMode.HALF_EVEN);
        return format.format(value.setScale(scale, RoundingMode.HALF_EVEN));
    }

    // ------------------------------------------------------------------ PDF/A plumbing

    private static void setDocumentId(PDDocument doc, ReceiptContent content, byte[] manifestJson) {
        byte[] id;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(content.receiptNumber().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(content.issuedAt().toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(manifestJson);
            id = Arrays.copyOf(sha.digest(), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        COSArray ids = new COSArray();
        ids.add(new COSString(id));
        ids.add(new COSString(id));
        doc.getDocument().getTrailer().setItem(COSName.ID, ids);
    }

    private static void writeInfo(PDDocument doc, String title, Calendar issued) {
        PDDocumentInformation info = doc.getDocumentInformation();
        info.setTitle(title);
        info.setAuthor(CREATOR);
        info.setCreator(CREATOR);
        info.setProducer(PRODUCER);
        info.setCreationDate(issued);
        info.setModificationDate(issued);
    }

    private static void writeXmp(PDDocument doc, String title, Calendar issued) throws IOException {
        XMPMetadata xmp = XMPMetadata.createXMPMetadata();
        DublinCoreSchema dc = xmp.createAndAddDublinCoreSchema();
        dc.setTitle(title);
        dc.addCreator(CREATOR);
        dc.setFormat("application/pdf");

        XMPBasicSchema basic = xmp.createAndAddXMPBasicSchema();
        basic.setCreatorTool(CREATOR);
        basic.setCreateDate(issued);
        basic.setModifyDate(issued);
        basic.setMetadataDate(issued);

        AdobePDFSchema pdf = xmp.createAndAddAdobePDFSchema();
        pdf.setProducer(PRODUCER);

        PDFAIdentificationSchema pdfaid = xmp.createAndAddPDFAIdentificationSchema();
        try {
            pdfaid.setPart(3);
            pdfaid.setConformance("B");
        } catch (BadFieldValueException e) {
            throw new IllegalStateException(e);
        }

        ByteArrayOutputStream xmpBytes = new ByteArrayOutputStream();
        try {
            new XmpSerializer().serialize(xmp, xmpBytes, true);
        } catch (TransformerException e) {
            throw new IOException("could not serialise XMP metadata", e);
        }
        PDMetadata metadata = new PDMetadata(doc);
        metadata.importXMPMetadata(xmpBytes.toByteArray());
        doc.getDocumentCatalog().setMetadata(metadata);
    }

    private static void addOutputIntent(PDDocument doc) throws IOException {
        byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
        PDOutputIntent intent = new PDOutputIntent(doc, new ByteArrayInputStream(icc));
        intent.setInfo("sRGB IEC61966-2.1");
        intent.setOutputCondition("sRGB IEC61966-2.1");
        intent.setOutputConditionIdentifier("sRGB IEC61966-2.1");
        intent.setRegistryName("http://www.color.org");
        doc.getDocumentCatalog().addOutputIntent(intent);
    }

    private static void attachManifest(PDDocument doc, byte[] manifestJson, Calendar issued) throws IOException {
        PDEmbeddedFile embedded = new PDEmbeddedFile(doc, new ByteArrayInputStream(manifestJson));
        embedded.setSubtype(MANIFEST_MIME_TYPE);
        embedded.setSize(manifestJson.length);
        embedded.setCreationDate(issued);
        embedded.setModDate(issued);

        PDComplexFileSpecification spec = new PDComplexFileSpecification();
        spec.setFile(MANIFEST_FILE_NAME);
        spec.setFileUnicode(MANIFEST_FILE_NAME);
        spec.setFileDescription("carbonledger receipt manifest (machine-readable)");
        spec.setEmbeddedFile(embedded);
        spec.setEmbeddedFileUnicode(embedded);
        spec.getCOSObject().setName(COSName.getPDFName("AFRelationship"), "Data");

        PDEmbeddedFilesNameTreeNode tree = new PDEmbeddedFilesNameTreeNode();
        tree.setNames(Map.of(MANIFEST_FILE_NAME, spec));
        PDDocumentCatalog catalog = doc.getDocumentCatalog();
        PDDocumentNameDictionary names = new PDDocumentNameDictionary(catalog);
        names.setEmbeddedFiles(tree);
        catalog.setNames(names);

        COSArray af = new COSArray();
        af.add(spec);
        catalog.getCOSObject().setItem(COSName.getPDFName("AF"), af);
    }

    private static Calendar utcCalendar(Instant instant) {
        Calendar calendar = Calendar.getInstance(TimeZone.getTimeZone("UTC"), Locale.ROOT);
        calendar.setTimeInMillis(instant.getEpochSecond() * 1000L);
        return calendar;
    }

    private static byte[] readResource(String name) {
        try (InputStream in = ReceiptRenderer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing bundled resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read bundled resource " + name, e);
        }
    }

    // ------------------------------------------------------------------ layout

    /** A tiny top-to-bottom flow layout over A4 pages. */
    private static final class Layout {
        final PDDocument doc;
        final PDFont regular;
        final PDFont bold;
        final List<PDPage> pages = new ArrayList<>();
        final float width = PDRectangle.A4.getWidth() - 2 * MARGIN;
        PDPageContentStream stream;
        float y;

        Layout(PDDocument doc, PDFont regular, PDFont bold) throws IOException {
            this.doc = doc;
            this.regular = regular;
            this.bold = bold;
            newPage();
        }

        void newPage() throws IOException {
            if (stream != null) {
                stream.close();
            }
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            pages.add(page);
            stream = new PDPageContentStream(doc, page);
            stream.setNonStrokingColor(0f, 0f, 0f);
            stream.setStrokingColor(0f, 0f, 0f);
            y = PDRectangle.A4.getHeight() - MARGIN;
        }

        boolean wouldBreak(float height) {
            return y - height < BOTTOM;
        }

        void ensureSpace(float height) throws IOException {
            if (wouldBreak(height)) {
                newPage();
            }
        }

        void advance(float dy) throws IOException {
            y -= dy;
            if (y < BOTTOM) {
                newPage();
            }
        }

        void heading(String title) throws IOException {
            ensureSpace(LEADING * 3);
            text(bold, 12f, MARGIN, title);
            y -= 4f;
            stream.setLineWidth(0.5f);
            stream.moveTo(MARGIN, y);
            stream.lineTo(MARGIN + width, y);
            stream.stroke();
            y -= LEADING;
        }

        void keyValue(String key, String value) throws IOException {
            ensureSpace(LEADING);
            text(regular, BODY_SIZE, MARGIN, key);
            text(regular, BODY_SIZE, MARGIN + 170f, fit(regular, BODY_SIZE, value, width - 170f));
            y -= LEADING;
        }

        void line(PDFont font, float size, String value) throws IOException {
            for (String part : wrap(font, size, safe(font, value), width)) {
                ensureSpace(LEADING);
                text(font, size, MARGIN, part);
                y -= LEADING;
            }
        }

        void tableRow(String[] cells, float[] widths, boolean[] right, boolean header) throws IOException {
            ensureSpace(LEADING);
            PDFont font = header ? bold : regular;
            float x = MARGIN;
            for (int i = 0; i < cells.length; i++) {
                float cellWidth = widths[i] - 6f;
                String s = fit(font, BODY_SIZE, cells[i], cellWidth);
                float tx = right[i] ? x + cellWidth - textWidth(font, BODY_SIZE, s) : x;
                text(font, BODY_SIZE, tx, s);
                x += widths[i];
            }
            y -= LEADING;
            if (header) {
                stream.setLineWidth(0.3f);
                stream.moveTo(MARGIN, y + LEADING - 3f);
                stream.lineTo(MARGIN + width, y + LEADING - 3f);
                stream.stroke();
            }
        }

        void textAt(PDFont font, float size, float x, float atY, String s) throws IOException {
            float saved = y;
            y = atY;
            text(font, size, x, s);
            y = saved;
        }

        void text(PDFont font, float size, float x, String s) throws IOException {
            stream.beginText();
            stream.setFont(font, size);
            stream.newLineAtOffset(x, y);
            stream.showText(safe(font, s));
            stream.endText();
        }

        void finish() throws IOException {
            stream.close();
            stream = null;
        }

        void drawFooters(String receiptNumber) throws IOException {
            int total = pages.size();
            for (int i = 0; i < total; i++) {
                try (PDPageContentStream footer = new PDPageContentStream(
                        doc, pages.get(i), PDPageContentStream.AppendMode.APPEND, true, true)) {
                    footer.setNonStrokingColor(0.35f, 0.35f, 0.35f);
                    footer.beginText();
                    footer.setFont(regular, SMALL_SIZE);
                    footer.newLineAtOffset(MARGIN, FOOTER_Y);
                    footer.showText(safe(regular, "Carbon receipt " + receiptNumber + "  -  page " + (i + 1)
                            + " of " + total));
                    footer.endText();
                }
            }
        }

        private static float textWidth(PDFont font, float size, String s) throws IOException {
            return font.getStringWidth(s) / 1000f * size;
        }

        private static String fit(PDFont font, float size, String s, float max) throws IOException {
            String safe = safe(font, s);
            if (textWidth(font, size, safe) <= max) {
                return safe;
            }
            String ellipsis = "\u2026";
            int end = safe.length();
            while (end > 0 && textWidth(font, size, safe.substring(0, end) + ellipsis) > max) {
                end = safe.offsetByCodePoints(end, -1);
            }
            return safe.substring(0, end) + ellipsis;
        }

        private static List<String> wrap(PDFont font, float size, String s, float max) throws IOException {
            List<String> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String word : s.split(" ", -1)) {
                String candidate = current.length() == 0 ? word : current + " " + word;
                if (current.length() > 0 && textWidth(font, size, candidate) > max) {
                    out.add(current.toString());
                    current = new StringBuilder(word);
                } else {
                    current = new StringBuilder(candidate);
                }
            }
            out.add(current.toString());
            return out;
        }

        /** Replaces control characters and characters the embedded font cannot draw. */
        private static String safe(PDFont font, String s) {
            StringBuilder sb = new StringBuilder(s.length());
            s.codePoints().forEach(cp -> {
                if (Character.isISOControl(cp)) {
                    sb.append(' ');
                    return;
                }
                String ch = new String(Character.toChars(cp));
                try {
                    font.encode(ch);
                    sb.append(ch);
                } catch (IOException | IllegalArgumentException e) {
                    sb.append('?');
                }
            });
            return sb.toString();
        }
    }
}
