package org.carbonledger.shared.persistence;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the data lives. With no {@code url} (env {@code CARBONLEDGER_DB_URL}) the platform starts an embedded
 * PostgreSQL whose files persist under {@code dataDir} (env {@code CARBONLEDGER_DATA_DIR}, default {@code ./data}).
 */
@ConfigurationProperties("carbonledger")
public record DatabaseProperties(Path dataDir, Db db) {

    public DatabaseProperties {
        dataDir = dataDir == null ? Path.of("data") : dataDir;
        db = db == null ? new Db(null, null, null) : db;
    }

    public record Db(String url, String user, String password) {
        public boolean configured() {
            return url != null && !url.isBlank();
        }
    }
}
