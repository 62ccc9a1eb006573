package org.carbonledger.receipts.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/** The S3 adapter against a real S3-compatible server (S3Mock) over HTTP, path-style, with an endpoint override. */
class S3ReceiptStoreTest {

    @TempDir
    static Path work;

    static S3MockServer server;
    static S3Client s3;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3MockServer.start(work, "receipts");
        s3 = S3Client.builder()
                .endpointOverride(server.endpoint)
                .forcePathStyle(true)
                .region(Region.EU_CENTRAL_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    @AfterAll
    static void stopServer() {
        if (s3 != null) {
            s3.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void storesUnderPrefixAndKeyAndReadsBack() {
        S3ReceiptStore store = new S3ReceiptStore(s3, "receipts", "prod");
        byte[] pdf = "%PDF-1.7 receipt".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        store.put("receipts/t-1/R-2026-03-0001.pdf", pdf);

        assertThat(store.get("receipts/t-1/R-2026-03-0001.pdf")).isEqualTo(pdf);
        // the object is where the key says, with its content type
        var head = s3.headObject(b -> b.bucket("receipts").key("prod/receipts/t-1/R-2026-03-0001.pdf"));
        assertThat(head.contentType()).isEqualTo("application/pdf");
        assertThat(head.contentLength()).isEqualTo(pdf.length);
        assertThat(store.location()).isEqualTo("s3://receipts/prod/");
    }

    @Test
    void aMissingReceiptIsReportedByKey() {
        S3ReceiptStore store = new S3ReceiptStore(s3, "receipts", "");
        assertThatThrownBy(() -> store.get("receipts/t-1/R-none.pdf"))
                .isInstanceOf(ReceiptStore.ReceiptNotStoredException.class)
                .hasMessage("no receipt stored under 'receipts/t-1/R-none.pdf'");
    }

    @Test
    void aMissingBucketFailsTheWrite() {
        S3ReceiptStore store = new S3ReceiptStore(s3, "no-such-bucket", "");
        assertThatThrownBy(() -> store.put("receipts/t-1/R-1.pdf", new byte[] {1}))
                .isInstanceOf(NoSuchBucketException.class);
    }

    @Test
    void invalidKeysAreRejectedBeforeAnyRequest() {
        S3ReceiptStore store = new S3ReceiptStore(s3, "receipts", "");
        assertThatThrownBy(() -> store.put("../x.pdf", new byte[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid receipt key: '../x.pdf'");
        assertThatThrownBy(() -> new S3ReceiptStore(s3, " ", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an S3 bucket is required");
    }
}
