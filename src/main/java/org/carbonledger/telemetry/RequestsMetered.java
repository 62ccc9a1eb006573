package org.carbonledger.telemetry;

import java.util.List;
import java.util.UUID;

/** Published in the ingest transaction for the requests stored for the first time (duplicates are not in it). */
public record RequestsMetered(UUID tenantId, List<MeteredRequest> requests) {
}
