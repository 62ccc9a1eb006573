package org.carbonledger.workload;

import java.time.Instant;
import java.util.Optional;

/** The regions the methodology has grid factors for (implemented by the emissions module). */
public interface GridRegions {

    /** A known region as the factor dataset spells it (matched case-insensitively), or empty. */
    Optional<String> canonical(String region);

    /** Whether a grid factor for the region is valid at the instant. */
    boolean hasFactorAt(String region, Instant at);
}
