package org.carbonledger.emissions;

import java.util.UUID;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.Energy;

/** The energy and CO2e of one request, as calculated by a methodology version (the current version of it). */
public record EmissionRecord(UUID id, UUID tenantId, UUID inferenceRequestId, String requestId, UUID workloadId,
        int version, String methodologyVersion, Energy energy, Energy energyLow, Energy energyHigh,
        Co2eMass co2eLocationBased, Co2eMass co2eMarketBased, Co2eMass co2eLow, Co2eMass co2eHigh,
        String factorDatasetVersion) {
}
