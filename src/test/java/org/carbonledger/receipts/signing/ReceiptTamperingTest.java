package org.carbonledger.receipts.signing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSObjectKey;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.common.PDStream;
import org.carbonledger.receipts.ReceiptFixtures;
import org.carbonledger.receipts.pdf.ReceiptRenderer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReceiptTamperingTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    static final Instant SIGNED_AT = Instant.parse("2025-02-01T09:31:00Z");

    @TempDir
    static Path dir;

    static ReceiptSigningKey key;
    static byte[] unsigned;
    static byte[] signed;
    static int[] byteRange;
    static int derHexLength;

    @BeforeAll
    static void sign() throws IOException {
        key = ReceiptSigningKey.loadOrCreate(dir.resolve("a/receipt-signing.p12"), CLOCK);
        unsigned = new ReceiptRenderer().render(ReceiptFixtures.receipt(), ReceiptFixtures.manifest());
        signed = new PadesReceiptSigner(key).sign(unsigned, SIGNED_AT);
        byteRange = byteRange(signed);
        byte[] value = java.util.HexFormat.of().parseHex(
                new String(signed, byteRange[1] + 1, byteRange[2] - byteRange[1] - 2, StandardCharsets.US_ASCII));
        derHexLength = 2 * ReceiptVerifier.derObjectLength(value);
        assertThat(new ReceiptVerifier().verify(signed, key.certificate()).valid()).isTrue();
    }

    static Stream<Arguments> positions() {
        return Stream.of(
                Arguments.of("page content stream", (ToIntFunction<byte[]>) pdf -> firstPageContentOffset(), "modified"),
                Arguments.of("binary comment after the header", (ToIntFunction<byte[]>) pdf ->
                        indexOf(pdf, "\n%", 0) + 3, "modified"),
                Arguments.of("PDF header", (ToIntFunction<byte[]>) pdf -> 3, "not a PDF"),
                Arguments.of("middle of the file", (ToIntFunction<byte[]>) pdf -> unsigned.length / 2, "modified"),
                Arguments.of("/Contents DER header", (ToIntFunction<byte[]>) pdf -> byteRange[1] + 1 + 4, ""),
                Arguments.of("/Contents signature value", (ToIntFunction<byte[]>) pdf ->
                        byteRange[1] + 1 + derHexLength - 10, "signature value does not verify"),
                Arguments.of("/Contents first padding byte", (ToIntFunction<byte[]>) pdf ->
                        byteRange[1] + 1 + derHexLength, "padding"),
                Arguments.of("/Contents zero padding", (ToIntFunction<byte[]>) pdf -> byteRange[2] - 10, "padding"),
                Arguments.of("incremental update (signature dictionary)", (ToIntFunction<byte[]>) pdf ->
                        indexOf(pdf, "/Reason", unsigned.length) + 3, "modified"),
                Arguments.of("last byte of the file", (ToIntFunction<byte[]>) pdf -> pdf.length - 1, "modified"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("positions")
    void oneFlippedByteIsDetected(String where, ToIntFunction<byte[]> position, String expectedReason) {
        int at = position.applyAsInt(signed);
        byte[] tampered = flip(signed, at);

        VerificationResult anchored = new ReceiptVerifier().verify(tampered, key.certificate());
        VerificationResult tofu = new ReceiptVerifier().verify(tampered, null);

        assertThat(anchored.valid()).as("anchored, flip at %d (%s): %s", at, where, anchored.reason()).isFalse();
        assertThat(anchored.reason()).isNotBlank().contains(expectedReason);
        assertThat(anchored.manifestJson()).isNull();
        assertThat(tofu.valid()).as("tofu, flip at %d (%s): %s", at, where, tofu.reason()).isFalse();
        assertThat(tofu.reason()).isNotBlank();
    }

    @Test
    void bytesAppendedAfterEofAreDetected() {
        byte[] tampered = Arrays.copyOf(signed, signed.length + 12);
        System.arraycopy("\n% appended\n".getBytes(StandardCharsets.US_ASCII), 0, tampered, signed.length, 12);

        VerificationResult result = new ReceiptVerifier().verify(tampered, key.certificate());

        assertThat(result.valid()).isFalse();
        assertThat(result.reason()).contains("appended");
    }

    @Test
    void otherKeyIsNotTrustedUnderTheAnchor() {
        ReceiptSigningKey other = ReceiptSigningKey.loadOrCreate(dir.resolve("b/receipt-signing.p12"), CLOCK);
        byte[] forged = new PadesReceiptSigner(other).sign(unsigned, SIGNED_AT);

        VerificationResult anchored = new ReceiptVerifier().verify(forged, key.certificate());
        VerificationResult tofu = new ReceiptVerifier().verify(forged, null);

        assertThat(anchored.valid()).isFalse();
        assertThat(anchored.reason()).isEqualTo(ReceiptVerifier.REASON_UNTRUSTED);
        assertThat(anchored.signerSha256Fingerprint()).isEqualTo(ReceiptVerifier.sha256Hex(other.certificate()));
        // without an anchor the other key's signature is intact, just not anchored
        assertThat(tofu.valid()).isTrue();
        assertThat(tofu.anchored()).isFalse();
    }

    @Test
    void garbageIsInvalidWithoutThrowing() {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        byte[] fakePdf = "%PDF-1.7\nthis is not really a PDF\n%%EOF\n".getBytes(StandardCharsets.US_ASCII);
        byte[] truncated = Arrays.copyOf(signed, signed.length / 3);
        ReceiptVerifier verifier = new ReceiptVerifier();

        for (byte[] input : new byte[][] {null, new byte[0], random, fakePdf, truncated}) {
            VerificationResult result = verifier.verify(input, key.certificate());
            assertThat(result.valid()).isFalse();
            assertThat(result.reason()).isNotBlank();
            assertThat(verifier.verify(input, null).valid()).isFalse();
        }
        assertThat(verifier.verify(new byte[0], null).reason()).contains("not a PDF");
        assertThat(verifier.verify(random, null).reason()).contains("not a PDF");
    }

    @Test
    void unsignedReceiptHasNoSignature() {
        VerificationResult result = new ReceiptVerifier().verify(unsigned, key.certificate());

        assertThat(result.valid()).isFalse();
        assertThat(result.reason()).isEqualTo(ReceiptVerifier.REASON_NO_SIGNATURE);
    }

    // ------------------------------------------------------------------ helpers

    /** Changes one byte; hex digits become another hex digit so hex strings stay well-formed. */
    static byte[] flip(byte[] pdf, int at) {
        byte[] copy = pdf.clone();
        int digit = Character.digit(copy[at], 16);
        if (digit >= 0) {
            copy[at] = (byte) Character.forDigit((digit + 1) % 16, 16);
        } else {
            copy[at] = (byte) (copy[at] ^ 0x01);
        }
        assertThat(copy[at]).isNotEqualTo(pdf[at]);
        return copy;
    }

    static int[] byteRange(byte[] pdf) {
        String text = new String(pdf, StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("/ByteRange\\s*\\[\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*]").matcher(text);
        int[] found = null;
        while (m.find()) {
            found = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))};
        }
        assertThat(found).as("ByteRange").isNotNull();
        return found;
    }

    /** Offset of the 20th byte of the first page's content stream data. */
    static int firstPageContentOffset() {
        try (PDDocument doc = Loader.loadPDF(unsigned)) {
            PDStream contents = doc.getPage(0).getContentStreams().next();
            COSObjectKey objectKey = contents.getCOSObject().getKey();
            Long offset = doc.getDocument().getXrefTable().get(objectKey);
            assertThat(offset).as("xref offset of the content stream").isNotNull().isPositive();
            int streamKeyword = indexOf(unsigned, "stream", offset.intValue());
            return streamKeyword + "stream\n".length() + 20;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int indexOf(byte[] haystack, String needle, int from) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = from; i <= haystack.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException(needle + " not found");
    }
}
