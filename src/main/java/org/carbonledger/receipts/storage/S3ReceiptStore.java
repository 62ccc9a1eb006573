package org.carbonledger.receipts.storage;

import java.util.Objects;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Receipts as objects in an S3 bucket (in production one with Object Lock: a stored receipt cannot be changed or
 * deleted during its retention), under an optional key prefix. Each object carries its SHA-256 checksum, which S3
 * verifies on upload.
 */
public final class S3ReceiptStore implements ReceiptStore {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    public S3ReceiptStore(S3Client s3, String bucket, String prefix) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("an S3 bucket is required");
        }
        this.bucket = bucket;
        this.prefix = prefix == null || prefix.isBlank() ? "" : ReceiptStore.checkKey(prefix) + "/";
    }

    @Override
    public void put(String key, byte[] pdf) {
        s3.putObject(b -> b.bucket(bucket).key(prefix + ReceiptStore.checkKey(key)).contentType("application/pdf")
                .checksumAlgorithm(software.amazon.awssdk.services.s3.model.ChecksumAlgorithm.SHA256),
                RequestBody.fromBytes(pdf));
    }

    @Override
    public byte[] get(String key) {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + ReceiptStore.checkKey(key))).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new ReceiptNotStoredException(key, e);
        }
    }

    @Override
    public String location() {
        return "s3://" + bucket + "/" + prefix;
    }
}
