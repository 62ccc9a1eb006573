package org.carbonledger.shared.persistence;

import java.nio.file.Files;
import java.nio.file.Path;
import org.carbonledger.CarbonLedgerApplication;
import org.carbonledger.receipts.signing.ReceiptSigningKey;
import org.carbonledger.support.Api;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded default: a real PostgreSQL under the data directory, and everything kept across a restart. */
class EmbeddedDataDirectoryIntegrationTest {

    @TempDir
    Path dataDir;

    private ConfigurableApplicationContext start() {
        return new SpringApplication(CarbonLedgerApplication.class).run(
                "--carbonledger.data-dir=" + dataDir,
                "--carbonledger.db.url=",
                "--carbonledger.admin-key=restart-operator-key-0123",
                "--server.port=0");
    }

    private static Api api(ConfigurableApplicationContext context) {
        return new Api(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }

    /**
     * Acknowledged means durable: the embedded server flushes a commit's WAL to disk before the commit returns
     * (its own defaults turn both off), and only an explicit {@code embedded-db.durable=false} relaxes that.
     */
    @Test
    void theEmbeddedServerIsDurableByDefault() throws Exception {
        DataSourceConfiguration configuration = new DataSourceConfiguration();
        try (var handle = configuration.databaseHandle(new DatabaseProperties(dataDir.resolve("durable"), null, null));
                var c = java.sql.DriverManager.getConnection(handle.url(), handle.user(), handle.password());
                var st = c.createStatement()) {
            assertThat(setting(st, "fsync")).isEqualTo("on");
            assertThat(setting(st, "synchronous_commit")).isEqualTo("on");
            assertThat(setting(st, "full_page_writes")).isEqualTo("on");
        }
        try (var handle = configuration.databaseHandle(new DatabaseProperties(dataDir.resolve("fast"), null,
                new DatabaseProperties.EmbeddedDb(false)));
                var c = java.sql.DriverManager.getConnection(handle.url(), handle.user(), handle.password());
                var st = c.createStatement()) {
            assertThat(setting(st, "fsync")).isEqualTo("off");
            assertThat(setting(st, "synchronous_commit")).isEqualTo("off");
        }
    }

    private static String setting(java.sql.Statement st, String name) throws java.sql.SQLException {
        try (var rs = st.executeQuery("show " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aRestartKeepsTenantsKeysAndTheSigningKey() {
        String tenantKey;
        String certificate;
        try (var first = start()) {
            var created = api(first).post("restart-operator-key-0123", "/v1/tenants", Api.map("name", "Kept"));
            assertThat(created.status()).isEqualTo(201);
            tenantKey = created.text("apiKey");
            certificate = first.getBean(ReceiptSigningKey.class).certificatePem();
        }
        assertThat(Files.isDirectory(dataDir.resolve("postgres"))).isTrue();
        assertThat(Files.exists(dataDir.resolve("postgres").resolve("PG_VERSION"))).isTrue();
        assertThat(Files.exists(dataDir.resolve("keys").resolve("receipt-signing.p12"))).isTrue();
        try (var second = start()) {
            var me = api(second).get(tenantKey, "/v1/tenants/me");
            assertThat(me.status()).as(me.toString()).isEqualTo(200);
            assertThat(me.text("name")).isEqualTo("Kept");
            assertThat(second.getBean(ReceiptSigningKey.class).certificatePem()).isEqualTo(certificate);
        }
    }
}
