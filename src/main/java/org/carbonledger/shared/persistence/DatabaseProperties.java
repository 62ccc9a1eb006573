package org.carbonledger.shared.persistence;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the data lives. With no {@code url} (env {@code CARBONLEDGER_DB_URL}) the platform starts an embedded
 * PostgreSQL whose files persist under {@code dataDir} (env {@code CARBONLEDGER_DATA_DIR}, default {@code ./data}).
 * The embedded server is durable by default: a commit returns after its WAL is flushed to disk
 * ({@code fsync=on}, {@code synchronous_commit=on}); {@code embedded-db.durable=false} trades that for speed where
 * losing the last commits to a power cut does not matter (the test suite).
 */
@ConfigurationProperties("carbonledger")
public record DatabaseProperties(Path dataDir, Db db, EmbeddedDb embeddedDb) {

    public DatabaseProperties {
        dataDir = dataDir == null ? Path.of("data") : dataDir;
        db = db == null ? new Db(null, null, null) : db;
        embeddedDb = embeddedDb == null ? new EmbeddedDb(true) : embeddedDb;
    }

    public record Db(String url, String user, String password) {
        public boolean configured() {
            return url != null && !url.isBlank();
        }
    }

    /** The embedded server's settings; {@code durable} defaults to true. */
    public record EmbeddedDb(Boolean durable) {
        public EmbeddedDb {
            durable = durable == null || durable;
        }
    }
}
