package org.carbonledger.proxy;

import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs the metering proxy inside the application when {@code carbonledger.proxy.routes} names a route file
 * ({@code ./carbonledger proxy --routes FILE}, or {@code serve} with {@code CARBONLEDGER_PROXY_ROUTES}). The route
 * file is validated and every upstream must accept a connection, or start-up fails with the reason.
 */
@Component
@ConditionalOnProperty(name = "carbonledger.proxy.routes")
class ProxyLifecycle implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ProxyLifecycle.class);

    private final Proxies proxies;
    private final Path routesFile;
    private final int port;
    private final Duration connectTimeout;
    private final long journalMaxBytes;
    private ProxyServer server;

    ProxyLifecycle(Proxies proxies, @Value("${carbonledger.proxy.routes}") Path routesFile,
            @Value("${carbonledger.proxy.port:8090}") int port,
            @Value("${carbonledger.proxy.connect-check-timeout:PT2S}") Duration connectTimeout,
            @Value("${carbonledger.proxy.journal-max-bytes:#{T(org.carbonledger.proxy.Proxies).JOURNAL_MAX_BYTES}}") long journalMaxBytes) {
        this.proxies = proxies;
        this.routesFile = routesFile;
        this.port = port;
        this.connectTimeout = connectTimeout;
        this.journalMaxBytes = journalMaxBytes;
    }

    @Override
    public void start() {
        ProxyRoutes routes = ProxyRoutes.load(routesFile);
        routes.checkReachable(connectTimeout);
        server = proxies.start(Proxies.Settings.of(routes, port).withJournalMaxBytes(journalMaxBytes));
        log.info("metering proxy listening on port {} ({} route(s), {} upstream(s))", server.port(),
                routes.routes().size(), routes.upstreams().size());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }
}
