package org.carbonledger.receipts.internal;

import java.net.URI;
import java.nio.file.Path;

import org.carbonledger.receipts.storage.FileSystemReceiptStore;
import org.carbonledger.receipts.storage.ReceiptStore;
import org.carbonledger.receipts.storage.S3ReceiptStore;
import org.carbonledger.shared.persistence.DatabaseProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Where receipt PDFs are stored besides the database ({@code CARBONLEDGER_RECEIPTS_STORE}): {@code filesystem}
 * (default; under {@code CARBONLEDGER_RECEIPTS_DIR}, default {@code <data dir>/receipts}) or {@code s3}
 * ({@code CARBONLEDGER_RECEIPTS_S3_BUCKET}, optional {@code _PREFIX}, {@code _ENDPOINT} and {@code _PATH_STYLE}
 * for S3-compatible servers; region and credentials from the AWS SDK's default chains, e.g. {@code AWS_REGION} and
 * the ECS task role).
 */
@Configuration(proxyBeanMethods = false)
class ReceiptStorageConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ReceiptStorageConfiguration.class);

    @Bean
    ReceiptStore receiptStore(DatabaseProperties properties,
            @Value("${carbonledger.receipts.store:filesystem}") String store,
            @Value("${carbonledger.receipts.dir:}") String dir,
            @Value("${carbonledger.receipts.s3.bucket:}") String bucket,
            @Value("${carbonledger.receipts.s3.prefix:}") String prefix,
            @Value("${carbonledger.receipts.s3.endpoint:}") String endpoint,
            @Value("${carbonledger.receipts.s3.path-style:false}") boolean pathStyle,
            @Value("${carbonledger.receipts.s3.region:}") String region) {
        ReceiptStore receiptStore = switch (store.trim()) {
            case "filesystem" -> new FileSystemReceiptStore(
                    dir.isBlank() ? properties.dataDir().resolve("receipts") : Path.of(dir));
            case "s3" -> new S3ReceiptStore(s3Client(endpoint, pathStyle, region), bucket, prefix);
            default -> throw new IllegalArgumentException(
                    "carbonledger.receipts.store (CARBONLEDGER_RECEIPTS_STORE) must be 'filesystem' or 's3', not '"
                            + store + "'");
        };
        log.info("Receipts are stored in {}", receiptStore.location());
        return receiptStore;
    }

    static S3Client s3Client(String endpoint, boolean pathStyle, String region) {
        S3ClientBuilder builder = S3Client.builder().forcePathStyle(pathStyle);
        if (!region.isBlank()) {
            builder.region(Region.of(region));
        }
        if (!endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }
}
