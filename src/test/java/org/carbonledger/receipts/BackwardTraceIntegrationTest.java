package org.carbonledger.receipts;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Backwards: receipt → its requests, page by page; serial → the emissions it cancels. */
class BackwardTraceIntegrationTest extends IntegrationTest {

    @Test
    void aReceiptListsItsRequestsPageByPageAndEachSerialNamesTheGramsItCancels() {
        clock.set(Instant.parse("2026-10-01T00:00:00Z"));
        String prefix = unique("BT");
        newLot(prefix, 7000, 7999, 2022);
        Tenant tenant = newTenant(unique("Back Co"), 100);
        UUID workload = newWorkload(tenant.key(), "big", "meta-llama/Meta-Llama-3.1-405B-Instruct", "us-east-1");
        clock.set(Instant.parse("2026-10-03T12:00:00Z"));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(request("bt-" + i, workload, 400_000, 900_000, clock.instant().minusSeconds(30)));
        }
        assertThat(ingest(tenant.key(), batch).status()).isEqualTo(200);
        clock.set(Instant.parse("2026-11-01T00:05:00Z"));
        var invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", "2026-10"));
        clock.advance(Duration.ofMinutes(5));
        api.post(tenant.key(), "/v1/invoices/" + invoice.text("id") + "/payments", Api.map("reference", unique("p")));
        String receiptId = api.get(tenant.key(), "/v1/receipts").body().path("items").get(0).path("id").asString();

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var page = api.get(tenant.key(), "/v1/trace/receipts/" + receiptId + "/requests?limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            page.body().path("items").forEach(i -> seen.add(i.path("requestId").asString()));
            cursor = page.body().path("nextCursor").isNull() ? null : page.body().path("nextCursor").asString();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly("bt-0", "bt-1", "bt-2", "bt-3", "bt-4");

        JsonNode retirement = api.get(tenant.key(), "/v1/offsets/retirements").body().path("items").get(0);
        // serialRange is PREFIX-FIRST, or PREFIX-FIRST to PREFIX-LAST (older lots of other tests go first)
        String firstSerial = retirement.path("serialRange").asString().split(" to ")[0];
        String lotPrefix = firstSerial.substring(0, firstSerial.lastIndexOf('-'));
        long first = Long.parseLong(firstSerial.substring(firstSerial.lastIndexOf('-') + 1));
        long tonnes = retirement.path("tonnes").asLong();
        BigDecimal allocated = retirement.path("gramsAllocated").decimalValue();
        BigDecimal traced = BigDecimal.ZERO;
        for (long serial = first; serial < first + tonnes; serial++) {
            var trace = api.get(tenant.key(), "/v1/trace/serials/" + lotPrefix + "-" + serial);
            assertThat(trace.status()).as(trace.toString()).isEqualTo(200);
            assertThat(trace.text("registryRetirementId")).isEqualTo(retirement.path("registryRetirementId").asString());
            BigDecimal bySerial = BigDecimal.ZERO;
            for (JsonNode e : trace.body().path("emissions")) {
                assertThat(e.path("requestId").asString()).startsWith("bt-");
                bySerial = bySerial.add(e.path("co2eGramsCancelledBySerial").decimalValue());
            }
            assertThat(bySerial).isLessThanOrEqualTo(BigDecimal.valueOf(1_000_000));
            traced = traced.add(bySerial);
        }
        assertThat(traced).isEqualByComparingTo(allocated);

        // not retired for this tenant, malformed, another tenant, bad cursor
        assertThat(api.get(tenant.key(), "/v1/trace/serials/" + prefix + "-7999").status()).isEqualTo(404);
        assertThat(api.get(tenant.key(), "/v1/trace/serials/" + lotPrefix + "-" + (first + tonnes)).status())
                .isEqualTo(404);
        var malformed = api.get(tenant.key(), "/v1/trace/serials/nodigits");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.text("field")).isEqualTo("serial");
        Tenant other = newTenant(unique("other"), 1);
        assertThat(api.get(other.key(), "/v1/trace/serials/" + lotPrefix + "-" + first).status()).isEqualTo(404);
        assertThat(api.get(other.key(), "/v1/trace/receipts/" + receiptId + "/requests").status()).isEqualTo(404);
        var badCursor = api.get(tenant.key(), "/v1/trace/receipts/" + receiptId + "/requests?cursor=zzzz");
        assertThat(badCursor.status()).isEqualTo(400);
        assertThat(badCursor.text("field")).isEqualTo("cursor");
    }
}
