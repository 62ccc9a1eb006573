package org.carbonledger.workload;

import java.util.Optional;

/** The regions the methodology has grid factors for (implemented by the emissions module). */
public interface GridRegions {

    /** The cloud provider of a known region, or empty when no grid factor exists for it. */
    Optional<String> providerOf(String region);
}
