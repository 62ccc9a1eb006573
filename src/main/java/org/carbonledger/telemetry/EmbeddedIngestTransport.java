package org.carbonledger.telemetry;

import java.util.List;
import java.util.UUID;
import org.carbonledger.telemetry.RequestIngest.Candidate;
import org.carbonledger.telemetry.RequestIngest.Result;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The default transport: PostgreSQL is the log. A batch is checked and stored in one transaction of the calling
 * thread; the answer is sent after the commit, so acknowledged means committed.
 */
@Component
@ConditionalOnProperty(name = "carbonledger.ingest.transport", havingValue = "embedded", matchIfMissing = true)
class EmbeddedIngestTransport implements IngestTransport {

    private final RequestIngest requests;

    EmbeddedIngestTransport(RequestIngest requests) {
        this.requests = requests;
    }

    @Override
    @Transactional
    public Result ingest(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix,
            String recordPath) {
        return requests.checkAndStore(tenantId, candidates, source, itemPrefix, recordPath);
    }

    /** Overridden so that the call, too, passes the transactional proxy (the default method would call past it). */
    @Override
    @Transactional
    public Result ingest(UUID tenantId, List<Candidate> candidates, String source, String itemPrefix) {
        return requests.checkAndStore(tenantId, candidates, source, itemPrefix, "");
    }

    @Override
    public Status status() {
        return new Status("embedded", null, null, null, List.of());
    }
}
