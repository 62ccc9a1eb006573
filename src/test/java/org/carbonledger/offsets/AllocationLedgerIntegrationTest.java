package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AllocationLedgerIntegrationTest extends IntegrationTest {

    private static final Instant SEPTEMBER = Instant.parse("2026-09-10T00:00:00Z");

    private String payPeriod(Tenant tenant, String period) {
        String invoice = api.post(tenant.key(), "/v1/billing/periods/close", Api.map("period", period)).text("id");
        var paid = api.post(tenant.key(), "/v1/invoices/" + invoice + "/payments", Api.map());
        assertThat(paid.status()).as(paid.toString()).isEqualTo(201);
        return invoice;
    }

    private BigDecimal sum(String sql, Object... params) {
        return jdbc.sql(sql).params(params).query(BigDecimal.class).optional().orElse(BigDecimal.ZERO);
    }

    @Test
    void paymentRetiresWholeTonnesAndAllocatesEveryGramOfTheInvoice() {
        newLot(unique("VCS-A"), 1, 1000, 2020);
        Tenant tenant = newTenant(unique("alloc"), 100);
        UUID w = newWorkload(tenant.key(), "big", "meta-llama/Meta-Llama-3.1-405B-Instruct", "us-east-1");
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(request("r" + i, w, 2000, 1500, SEPTEMBER));
        }
        ingest(tenant.key(), batch);
        String invoice = payPeriod(tenant, "2026-09");

        BigDecimal emitted = sum("select sum(co2e_grams_location) from emission_records where tenant_id = ?",
                tenant.id());
        BigDecimal allocated = sum("select sum(co2e_grams) from offset_allocations where tenant_id = ?", tenant.id());
        assertThat(allocated).isEqualByComparingTo(emitted);
        // every record fully covered, none twice
        assertThat(jdbc.sql("""
                select count(*) from emission_records e where e.tenant_id = ? and e.co2e_grams_location <>
                  (select coalesce(sum(a.co2e_grams), 0) from offset_allocations a where a.emission_record_id = e.id)""")
                .param(tenant.id()).query(Long.class).single()).isZero();
        var retirements = api.get(tenant.key(), "/v1/offsets/retirements");
        assertThat(retirements.body().path("items").size()).isEqualTo(1);
        assertThat(retirements.body().path("items").get(0).path("tonnes").asLong()).isEqualTo(1);
        assertThat(retirements.body().path("items").get(0).path("gramsAllocated").decimalValue()).isEqualByComparingTo(emitted);
        assertThat(invoice).isNotBlank();
    }

    @Test
    void theUnallocatedBalanceOfATonneIsCarriedToTheNextInvoice() {
        newLot(unique("VCS-B"), 1, 1000, 2020);
        Tenant tenant = newTenant(unique("carry"), 100);
        UUID w = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(tenant.key(), List.of(request("s1", w, 500, 300, SEPTEMBER)));
        payPeriod(tenant, "2026-09");
        clock.set(Instant.parse("2026-11-01T00:00:01Z"));
        ingest(tenant.key(), List.of(request("o1", w, 500, 300, Instant.parse("2026-10-10T00:00:00Z"))));
        payPeriod(tenant, "2026-10");
        var retirements = api.get(tenant.key(), "/v1/offsets/retirements");
        assertThat(retirements.body().path("items").size()).as("the second invoice is covered by the first tonne's balance")
                .isEqualTo(1);
        BigDecimal emitted = sum("select sum(co2e_grams_location) from emission_records where tenant_id = ?",
                tenant.id());
        assertThat(retirements.body().path("items").get(0).path("gramsAllocated").decimalValue()).isEqualByComparingTo(emitted);
    }

    @Test
    void withoutInventoryThePaymentStandsAndTheEmissionsStayUncovered() {
        // retire everything available first so the pool is empty for this tenant
        jdbc.sql("update offset_lots set retired_tonnes = serial_last - serial_first + 1").update();
        Tenant tenant = newTenant(unique("empty"), 100);
        UUID w = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(tenant.key(), List.of(request("u1", w, 500, 300, SEPTEMBER)));
        String invoice = payPeriod(tenant, "2026-09");
        assertThat(api.get(tenant.key(), "/v1/invoices/" + invoice).text("status")).isEqualTo("PAID");
        assertThat(sum("select sum(co2e_grams) from offset_allocations where tenant_id = ?", tenant.id())).isZero();
    }

    @Test
    void theDatabaseRefusesDoubleRetirementAndOverAllocation() {
        UUID lot = newLot(unique("VCS-C"), 1, 10, 2021);
        Tenant tenant = newTenant(unique("db"), 100);
        UUID w = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(tenant.key(), List.of(request("d1", w, 500, 300, SEPTEMBER)));
        UUID retirement = UUID.randomUUID();
        insertRetirement(retirement, lot, tenant.id(), 3, 4);
        assertThatThrownBy(() -> insertRetirement(UUID.randomUUID(), lot, tenant.id(), 4, 5))
                .isInstanceOf(DataIntegrityViolationException.class).hasMessageContaining("already retired");
        assertThatThrownBy(() -> insertRetirement(UUID.randomUUID(), lot, tenant.id(), 10, 11))
                .hasMessageContaining("outside lot");
        UUID record = jdbc.sql("select id from emission_records where tenant_id = ?").param(tenant.id())
                .query(UUID.class).single();
        BigDecimal grams = sum("select co2e_grams_location from emission_records where id = ?", record);
        assertThatThrownBy(() -> jdbc.sql("""
                insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id, co2e_grams, allocated_at)
                values (?, ?, ?, ?, ?, now())""")
                .params(UUID.randomUUID(), retirement, record, tenant.id(), grams.add(BigDecimal.ONE)).update())
                .hasMessageContaining("exceed the emissions");
    }

    private void insertRetirement(UUID id, UUID lot, UUID tenant, long first, long last) {
        jdbc.sql("""
                insert into offset_retirements (id, lot_id, tenant_id, serial_first, serial_last, co2e_grams,
                    registry_retirement_id, beneficiary, reason, retired_at)
                values (?, ?, ?, ?, ?, ?, ?, 'b', 'r', now())""")
                .params(id, lot, tenant, first, last, BigDecimal.valueOf((last - first + 1) * 1_000_000L),
                        "ret-" + id).update();
    }

    @Test
    void lotInputErrorsAndOverlappingSerials() {
        String prefix = unique("VCS-D");
        newLot(prefix, 100, 199, 2022);
        ensureProduct("VERRA", "p", "REMOVAL");
        var overlap = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "VERRA", "projectId", "p",
                "projectName", "p", "kind", "REMOVAL", "vintage", 2022, "serialPrefix", prefix, "serialFirst", 150,
                "serialLast", 250, "pricePerTonne", 10, "currency", "USD"));
        assertThat(overlap.status()).isEqualTo(409);
        var backwards = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "VERRA", "projectId", "p",
                "projectName", "p", "kind", "REMOVAL", "vintage", 2022, "serialPrefix", unique("x"), "serialFirst",
                10, "serialLast", 5, "pricePerTonne", 10, "currency", "USD"));
        assertThat(backwards.text("field")).isEqualTo("serialLast");
        var badRegistry = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "NOPE", "projectId", "p",
                "projectName", "p", "kind", "REMOVAL", "vintage", 2022, "serialPrefix", unique("x"), "serialFirst",
                1, "serialLast", 5, "pricePerTonne", 10, "currency", "USD"));
        assertThat(badRegistry.status()).isEqualTo(400);
        assertThat(badRegistry.text("field")).isEqualTo("registry");
        Tenant tenant = newTenant(unique("t"), 1);
        assertThat(api.get(tenant.key(), "/v1/offsets/lots").status()).isEqualTo(403);
    }
}
