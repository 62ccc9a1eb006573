package org.carbonledger.shared;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import java.util.UUID;

/**
 * Ids of the rows written once or more per metered request (requests, emission records, energy samples,
 * allocations, proxy calls): time-ordered UUIDs (RFC 9562 version 7: 48 bits of Unix milliseconds, then random bits).
 * New keys land at the right edge of their indexes instead of on a random page each, so an insert touches pages that
 * are already in memory however large the table grows (decision 0078). Still 74 random bits per id; rows written at
 * human rates keep random (version 4) ids.
 */
public final class RowIds {

    private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

    private RowIds() {
    }

    public static UUID next() {
        return GENERATOR.generate();
    }
}
