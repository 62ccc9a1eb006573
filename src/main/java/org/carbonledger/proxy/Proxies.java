package org.carbonledger.proxy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.carbonledger.emissions.CallEstimates;
import org.carbonledger.workload.KeyHolders;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/** Starts metering proxies wired to this application's storage, key holders and emission estimates. */
@Service
public class Proxies {

    private final CallStore store;
    private final KeyHolders keys;
    private final CallEstimates estimates;
    private final Clock clock;
    private final Path dataDir;

    Proxies(CallStore store, KeyHolders keys, CallEstimates estimates, Clock clock,
            @Value("${carbonledger.data-dir}") Path dataDir) {
        this.store = store;
        this.keys = keys;
        this.estimates = estimates;
        this.clock = clock;
        this.dataDir = dataDir;
    }

    /** Default bound of the metering journal backlog (records appended and not yet stored or spooled). */
    public static final long JOURNAL_MAX_BYTES = 256L << 20;

    /**
     * How to run one proxy. {@code spoolDir} null: {@code <data dir>/proxy-spool}; the metering journal is its
     * {@code journal} subdirectory, its backlog bounded by {@code journalMaxBytes}.
     */
    public record Settings(ProxyRoutes routes, String host, int port, Path spoolDir, Duration replayEvery,
            long journalMaxBytes, Duration keyCacheTtl) {

        public static Settings of(ProxyRoutes routes, int port) {
            return new Settings(routes, "0.0.0.0", port, null, Duration.ofSeconds(5), JOURNAL_MAX_BYTES,
                    Duration.ofSeconds(60));
        }

        public Settings withSpool(Path dir, Duration every) {
            return new Settings(routes, host, port, dir, every, journalMaxBytes, keyCacheTtl);
        }

        public Settings withJournalMaxBytes(long bytes) {
            return new Settings(routes, host, port, spoolDir, replayEvery, bytes, keyCacheTtl);
        }
    }

    /** A storage step between the proxy and this application's database (tests put faults here). */
    public interface Storage {
        void write(java.util.List<ProxyCall> calls);
    }

    public ProxyServer start(Settings settings) {
        return start(settings, store::write);
    }

    public ProxyServer start(Settings settings, Storage storage) {
        Path spoolDir = settings.spoolDir() != null ? settings.spoolDir() : dataDir.resolve("proxy-spool");
        Metering metering = new Metering(storage::write, new Spool(spoolDir),
                new Journal(spoolDir.resolve("journal"), settings.journalMaxBytes()), settings.replayEvery());
        return new ProxyServer(settings.routes(), new ProxyKeys(keys::byHash, settings.keyCacheTtl()), metering,
                estimates::co2eGrams, clock, settings.host(), settings.port());
    }

    /** The default storage of this application, to wrap. */
    public Storage storage() {
        return store::write;
    }
}
