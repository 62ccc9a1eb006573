package org.carbonledger.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PaginationIntegrationTest extends IntegrationTest {

    @Test
    void pagesFollowTheCursorWithoutRepeatsOrGaps() {
        Tenant tenant = newTenant(unique("pages"), 100);
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(newWorkload(tenant.key(), "w" + i, "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1")
                    .toString());
            clock.advance(java.time.Duration.ofSeconds(i % 2)); // some share an instant: the id breaks the tie
        }
        Set<String> seen = new LinkedHashSet<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            var page = api.get(tenant.key(), "/v1/workloads?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            sizes.add(page.body().path("items").size());
            page.body().path("items").forEach(w -> assertThat(seen.add(w.path("id").asString())).isTrue());
            cursor = page.body().path("nextCursor").isNull() ? null : page.body().path("nextCursor").asString();
        } while (cursor != null);
        assertThat(sizes).containsExactly(2, 2, 1);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(created);

        var all = api.get(tenant.key(), "/v1/workloads");
        assertThat(all.body().path("items").size()).isEqualTo(5);
        assertThat(all.body().path("nextCursor").isNull()).isTrue();
    }

    @Test
    void invalidLimitsAndCursorsAreRefusedNamingTheParameter() {
        Tenant tenant = newTenant(unique("pages-bad"), 100);
        for (String query : List.of("limit=0", "limit=201", "limit=x")) {
            var response = api.get(tenant.key(), "/v1/receipts?" + query);
            assertThat(response.status()).as(query).isEqualTo(400);
            assertThat(response.text("field")).isEqualTo("limit");
        }
        var badCursor = api.get(tenant.key(), "/v1/invoices?cursor=bm90LWEtY3Vyc29y");
        assertThat(badCursor.status()).isEqualTo(400);
        assertThat(badCursor.text("field")).isEqualTo("cursor");
    }
}
