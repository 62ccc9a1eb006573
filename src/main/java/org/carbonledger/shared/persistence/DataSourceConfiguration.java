package org.carbonledger.shared.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** PostgreSQL in every mode: a configured server, or an embedded one persisting under the data directory. */
@Configuration(proxyBeanMethods = false)
class DataSourceConfiguration {

    private static final Logger log = LoggerFactory.getLogger(DataSourceConfiguration.class);

    @Bean(destroyMethod = "close")
    DatabaseHandle databaseHandle(DatabaseProperties properties) {
        if (properties.db().configured()) {
            log.info("Using PostgreSQL at {}", properties.db().url());
            return new DatabaseHandle(null, properties.db().url(), properties.db().user(), properties.db().password());
        }
        Path dataDir = properties.dataDir().toAbsolutePath().normalize();
        try {
            Path pgData = Files.createDirectories(dataDir.resolve("postgres"));
            Path pgWork = Files.createDirectories(dataDir.resolve("postgres-runtime"));
            boolean durable = properties.embeddedDb().durable();
            // the embedded server's own defaults are fsync off and synchronous_commit off: a commit could be
            // acknowledged and then lost to a crash of the server or the machine. Acknowledged ingest must be
            // durable, so both are on unless explicitly turned off (decision 0075).
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setServerConfig("fsync", durable ? "on" : "off")
                    .setServerConfig("synchronous_commit", durable ? "on" : "off")
                    .setServerConfig("full_page_writes", durable ? "on" : "off")
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(pgWork.toFile())
                    .start();
            String url = postgres.getJdbcUrl("postgres", "postgres");
            log.info("Started embedded PostgreSQL on port {} with data in {}{}", postgres.getPort(), pgData,
                    durable ? "" : " (not durable: fsync and synchronous_commit off)");
            return new DatabaseHandle(postgres, url, "postgres", "postgres");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir, e);
        }
    }

    @Bean(destroyMethod = "close")
    DataSource dataSource(DatabaseHandle handle) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(handle.url());
        config.setUsername(handle.user());
        config.setPassword(handle.password());
        config.setMaximumPoolSize(10);
        config.setPoolName("carbonledger");
        return new HikariDataSource(config);
    }

    /** The database in use; closing it stops the embedded server, if any, after the pool is closed. */
    record DatabaseHandle(EmbeddedPostgres embedded, String url, String user, String password) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
