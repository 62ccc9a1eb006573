package org.carbonledger.offsets;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The product catalog and the lot inventory: blocks parsed and checked, overlaps refused, CSV all or nothing. */
class OffsetCatalogIntegrationTest extends IntegrationTest {

    /** A Verra project id not used by any other test, and a VCU block of it at a serial range nobody else holds. */
    private record VerraProject(String projectId, long first) {
        String block(long from, long to, String country, int year) {
            return "777-" + from + "-" + to + "-VCS-VCU-263-VER-" + country + "-14-" + projectId + "-0101" + year
                    + "-3112" + year + "-0";
        }
    }

    private VerraProject verraProject(String country) {
        String id = String.valueOf(ThreadLocalRandom.current().nextLong(100_000_000L, 9_999_999_999L));
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", "VERRA", "projectId", id,
                "name", "Wind " + id, "kind", "AVOIDANCE", "methodology", "ACM0002", "country", country,
                "pricePerTonne", 18, "currency", "USD"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return new VerraProject(id, ThreadLocalRandom.current().nextLong(1_000_000_000L, 900_000_000_000_000L));
    }

    private Api.Response lot(Map<String, Object> body) {
        return api.post(OPERATOR_KEY, "/v1/offsets/lots", body);
    }

    private Api.Response importCsv(String csv) {
        return api.postBytes(OPERATOR_KEY, "/v1/offsets/lots/import",
                csv.getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/csv");
    }

    private long lotCount() {
        return jdbc.sql("select count(*) from offset_lots").query(Long.class).single();
    }

    @Test
    void aVerraBlockBecomesALotOfItsProjectWithTheVintageItStates() {
        VerraProject p = verraProject("IN");
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock",
                p.block(p.first(), p.first() + 66, "IN", 2019), "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.text("serialPrefix")).isEqualTo("VCS-VCU");
        assertThat(r.body().path("serialFirst").asLong()).isEqualTo(p.first());
        assertThat(r.body().path("serialLast").asLong()).isEqualTo(p.first() + 66);
        assertThat(r.body().path("vintage").asInt()).isEqualTo(2019);
        assertThat(r.text("kind")).isEqualTo("AVOIDANCE");
        assertThat(r.text("serialBlock")).isEqualTo(p.block(p.first(), p.first() + 66, "IN", 2019));
        var products = api.get(newTenant(unique("reader"), 1).key(), "/v1/offsets/products");
        assertThat(products.status()).isEqualTo(200);
    }

    @Test
    void aMalformedBlockIsRefusedNamingTheField() {
        VerraProject p = verraProject("IN");
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock", "12-34-VCS",
                "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("serialBlock");
        assertThat(r.text("detail")).contains("is not a Verra VCU serial block");
    }

    @Test
    void aBlockOfAnotherProjectIsRefused() {
        VerraProject p = verraProject("IN");
        VerraProject other = verraProject("IN");
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock",
                other.block(other.first(), other.first(), "IN", 2019), "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("detail")).isEqualTo("the block is of project " + other.projectId() + ", not of "
                + p.projectId());
    }

    @Test
    void aBlockOfAnotherCountryThanItsProjectIsRefused() {
        VerraProject p = verraProject("BR");
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock",
                p.block(p.first(), p.first(), "IN", 2019), "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.text("detail")).isEqualTo("the block is of country IN, the project of BR");
    }

    @Test
    void aVintageContradictingTheBlockIsRefused() {
        VerraProject p = verraProject("IN");
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "vintage", 2020, "serialBlock",
                p.block(p.first(), p.first(), "IN", 2019), "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("vintage");
        assertThat(r.text("detail")).isEqualTo("the block's vintage is 2019, not 2020");
    }

    @Test
    void anUnknownProjectIsRefused() {
        var r = lot(Api.map("registry", "VERRA", "projectId", "VCS-unknown-" + unique("p"), "vintage", 2020,
                "serialPrefix", unique("U"), "serialFirst", 1, "serialLast", 2, "pricePerTonne", 12,
                "currency", "USD"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("projectId");
        assertThat(r.text("detail")).startsWith("unknown project: VERRA project VCS-unknown-");
    }

    @Test
    void overlappingVerraBlocksOfDifferentBatchesAreRefused() {
        VerraProject p = verraProject("IN");
        assertThat(lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock",
                p.block(p.first(), p.first() + 99, "IN", 2019), "pricePerTonne", 12, "currency", "USD")).status())
                .isEqualTo(201);
        var r = lot(Api.map("registry", "VERRA", "projectId", p.projectId(), "serialBlock",
                p.block(p.first() + 99, p.first() + 150, "IN", 2019).replaceFirst("^777-", "778-"),
                "pricePerTonne", 12, "currency", "USD"));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("serialBlock");
        assertThat(r.text("detail")).contains("overlap the lot " + p.block(p.first(), p.first() + 99, "IN", 2019));
    }

    @Test
    void theDatabaseRefusesOverlappingSerialsOfOneSpace() {
        String prefix = unique("DB");
        newLot(prefix, 1, 10, 2020);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> jdbc.sql("""
                insert into offset_lots (id, product_id, registry, project_id, project_name, kind, vintage,
                    serial_prefix, serial_first, serial_last, price_per_tonne, currency, created_at)
                select gen_random_uuid(), product_id, registry, project_id, project_name, kind, vintage, serial_prefix,
                       10, 20, price_per_tonne, currency, now() from offset_lots where serial_prefix = ?""")
                .param(prefix).update()).hasMessageContaining("offset_lots_serials_disjoint");
    }

    @Test
    void aPuroCertificateIdIsALotOfItsFacility() {
        String facility = unique("F").substring(2, 8).toUpperCase().replace("-", "0");
        ensureProduct("PURO_EARTH", facility, "REMOVAL");
        String issuance = java.util.UUID.randomUUID().toString();
        String id = "PURO_PR_CORC100+_US_" + facility + "_2024_" + issuance + "_1-250";
        var r = lot(Api.map("registry", "PURO_EARTH", "projectId", facility, "serialBlock", id,
                "pricePerTonne", 140, "currency", "USD"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.text("serialPrefix")).isEqualTo("PURO_" + issuance);
        assertThat(r.body().path("serialLast").asLong()).isEqualTo(250);
        assertThat(r.body().path("vintage").asInt()).isEqualTo(2024);
        // the same numbers in another issuance are other credits
        var other = lot(Api.map("registry", "PURO_EARTH", "projectId", facility, "serialBlock",
                id.replace(issuance, java.util.UUID.randomUUID().toString()), "pricePerTonne", 140, "currency", "USD"));
        assertThat(other.status()).isEqualTo(201);
    }

    @Test
    void aCsvImportAddsEveryRow() {
        VerraProject p = verraProject("IN");
        String prefix = unique("GS");
        ensureProduct("GOLD_STANDARD", "GS-" + prefix, "AVOIDANCE");
        var r = importCsv("""
                registry,project_id,vintage,serial_block,serial_prefix,serial_first,serial_last,price_per_tonne,currency
                VERRA,%s,,%s,,,,12,USD
                GOLD_STANDARD,GS-%s,2022,,%s,1,500,9.5,USD
                """.formatted(p.projectId(), p.block(p.first(), p.first() + 9, "IN", 2021), prefix, prefix));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.body().path("count").asInt()).isEqualTo(2);
        assertThat(r.body().path("items").get(1).path("serialLast").asLong()).isEqualTo(500);
    }

    @Test
    void aCsvImportWithOneBadRowStoresNothing() {
        VerraProject p = verraProject("IN");
        long before = lotCount();
        var r = importCsv("""
                registry,project_id,vintage,serial_block,serial_prefix,serial_first,serial_last,price_per_tonne,currency
                VERRA,%s,,%s,,,,12,USD
                VERRA,%s,,12345-VCS-VCU,,,,12,USD
                """.formatted(p.projectId(), p.block(p.first(), p.first() + 9, "IN", 2021), p.projectId()));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("lines[3].serial_block");
        assertThat(lotCount()).isEqualTo(before);
        assertThat(jdbc.sql("select count(*) from offset_lots where serial_prefix = 'VCS-VCU' and serial_first = ?")
                .param(p.first()).query(Long.class).single()).isZero();
    }

    @Test
    void aCsvImportOverlappingItselfStoresNothing() {
        VerraProject p = verraProject("IN");
        var r = importCsv("""
                registry,project_id,vintage,serial_block,serial_prefix,serial_first,serial_last,price_per_tonne,currency
                VERRA,%s,,%s,,,,12,USD
                VERRA,%s,,%s,,,,12,USD
                """.formatted(p.projectId(), p.block(p.first(), p.first() + 9, "IN", 2021), p.projectId(),
                p.block(p.first() + 5, p.first() + 20, "IN", 2021)));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("lines[3].serial_block");
        assertThat(jdbc.sql("select count(*) from offset_lots where serial_prefix = 'VCS-VCU' and serial_first = ?")
                .param(p.first()).query(Long.class).single()).isZero();
    }

    @Test
    void aCsvImportNamingAnUnknownProjectStoresNothing() {
        var r = importCsv("""
                registry,project_id,vintage,serial_block,serial_prefix,serial_first,serial_last,price_per_tonne,currency
                OTHER,%s,2020,,%s,1,5,3,USD
                """.formatted(unique("nope"), unique("N")));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("lines[2].project_id");
    }

    @Test
    void aProjectIsInTheCatalogOnce() {
        VerraProject p = verraProject("IN");
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", "VERRA", "projectId",
                p.projectId(), "name", "again", "kind", "AVOIDANCE", "methodology", "ACM0002", "country", "IN"));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("projectId");
    }

    @Test
    void aProductNeedsARealCountry() {
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", "VERRA", "projectId",
                unique("c"), "name", "n", "kind", "AVOIDANCE", "methodology", "ACM0002", "country", "XX"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("country");
    }

    @Test
    void aCsvWithADuplicateColumnIsRefused() {
        var r = importCsv("registry,project_id,price_per_tonne,currency,currency\nOTHER,x,1,USD,EUR\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("body");
        assertThat(r.text("detail")).startsWith("not readable as CSV: ");
    }

    @Test
    void theLastSerialMustLeaveRoomForItsRange() {
        String prefix = unique("MAX");
        ensureProduct("OTHER", prefix, "REMOVAL");
        var r = lot(Api.map("registry", "OTHER", "projectId", prefix, "vintage", 2020, "serialPrefix", prefix,
                "serialFirst", 1, "serialLast", Long.MAX_VALUE, "pricePerTonne", 1, "currency", "USD"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("serialLast");
    }
}
