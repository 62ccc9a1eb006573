package org.carbonledger.receipts.pdf;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.common.PDNameTreeNode;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;

/** Extracts the attached {@value ReceiptRenderer#MANIFEST_FILE_NAME} from a receipt PDF. */
public final class ReceiptManifestReader {

    private ReceiptManifestReader() {
    }

    /**
     * Returns the manifest bytes.
     *
     * @throws IllegalArgumentException if the bytes are not a readable PDF or carry no manifest
     */
    public static byte[] readManifest(byte[] pdf) {
        return findManifest(pdf).orElseThrow(() -> new IllegalArgumentException(
                "no " + ReceiptRenderer.MANIFEST_FILE_NAME + " attachment found"));
    }

    /**
     * Returns the manifest bytes, or empty when the PDF carries none.
     *
     * @throws IllegalArgumentException if the bytes are not a readable PDF
     */
    public static Optional<byte[]> findManifest(byte[] pdf) {
        if (pdf == null || pdf.length == 0) {
            throw new IllegalArgumentException("not a PDF: no bytes");
        }
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            PDDocumentNameDictionary names = doc.getDocumentCatalog().getNames();
            if (names == null || names.getEmbeddedFiles() == null) {
                return Optional.empty();
            }
            return find(names.getEmbeddedFiles(), 0);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PDF: " + e.getMessage(), e);
        }
    }

    private static Optional<byte[]> find(PDNameTreeNode<PDComplexFileSpecification> node, int depth) throws IOException {
        if (depth > 32) {
            return Optional.empty();
        }
        Map<String, PDComplexFileSpecification> names = node.getNames();
        if (names != null) {
            PDComplexFileSpecification spec = names.get(ReceiptRenderer.MANIFEST_FILE_NAME);
            if (spec != null) {
                PDEmbeddedFile file = spec.getEmbeddedFileUnicode() != null
                        ? spec.getEmbeddedFileUnicode() : spec.getEmbeddedFile();
                if (file != null) {
                    return Optional.of(file.toByteArray());
                }
            }
        }
        List<PDNameTreeNode<PDComplexFileSpecification>> kids = node.getKids();
        if (kids != null) {
            for (PDNameTreeNode<PDComplexFileSpecification> kid : kids) {
                Optional<byte[]> found = find(kid, depth + 1);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }
}
