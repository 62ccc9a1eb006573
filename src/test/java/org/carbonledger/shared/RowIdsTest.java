package org.carbonledger.shared;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RowIdsTest {

    /** PostgreSQL orders uuids by their bytes, i.e. as two unsigned longs. */
    private static int compareAsPostgres(UUID a, UUID b) {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    @Test
    void idsAreVersion7AndIncreaseInTheDatabasesOrder() {
        long before = System.currentTimeMillis();
        UUID previous = RowIds.next();
        Set<UUID> seen = new HashSet<>();
        seen.add(previous);
        for (int i = 0; i < 100_000; i++) {
            UUID next = RowIds.next();
            assertThat(next.version()).isEqualTo(7);
            assertThat(next.variant()).isEqualTo(2);
            assertThat(compareAsPostgres(previous, next)).as("%s then %s", previous, next).isNegative();
            assertThat(seen.add(next)).isTrue();
            previous = next;
        }
        long millis = previous.getMostSignificantBits() >>> 16;
        assertThat(millis).isBetween(before, System.currentTimeMillis());
    }
}
