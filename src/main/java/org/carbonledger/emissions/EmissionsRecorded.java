package org.carbonledger.emissions;

import java.util.List;
import java.util.UUID;

/** Published in the writing transaction after emission records (any version) were inserted. */
public record EmissionsRecorded(UUID tenantId, List<UUID> recordIds) {

    public EmissionsRecorded {
        recordIds = List.copyOf(recordIds);
    }
}
