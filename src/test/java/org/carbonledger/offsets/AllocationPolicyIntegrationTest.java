package org.carbonledger.offsets;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.carbonledger.offsets.internal.AllocationLedger;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** Allocation by tenant policy, registry retirements recorded by the operator, and allocation under concurrency. */
class AllocationPolicyIntegrationTest extends IntegrationTest {

    private static final Instant SEPTEMBER = Instant.parse("2026-09-10T00:00:00Z");

    @Autowired
    AllocationLedger ledger;

    @Autowired
    org.springframework.transaction.PlatformTransactionManager transactionManager;

    private org.springframework.transaction.support.TransactionTemplate transactions;

    @org.junit.jupiter.api.BeforeEach
    void transactions() {
        transactions = new org.springframework.transaction.support.TransactionTemplate(transactionManager);
    }

    private UUID product(String registry, String kind) {
        String projectId = unique("P");
        var r = api.post(OPERATOR_KEY, "/v1/offsets/products", Api.map("registry", registry, "projectId", projectId,
                "name", "Project " + projectId, "kind", kind, "methodology", "M", "country", "US"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return UUID.fromString(r.text("id"));
    }

    private UUID lot(String registry, UUID product, int vintage, long tonnes) {
        String projectId = jdbc.sql("select registry_project_id from offset_products where id = ?").param(product)
                .query(String.class).single();
        var r = api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", registry, "projectId", projectId,
                "vintage", vintage, "serialPrefix", unique("S"), "serialFirst", 1, "serialLast", tonnes,
                "pricePerTonne", 20, "currency", "USD"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return UUID.fromString(r.text("id"));
    }

    private Api.Response putPolicy(Tenant t, Map<String, Object> body) {
        return api.send(t.key(), "PUT", "/v1/offsets/policy", java.net.http.HttpRequest.BodyPublishers.ofString(
                Api.JSON.writeValueAsString(body)), "application/json");
    }

    /** A tenant with {@code requests} requests billed and paid in September 2026. */
    private Tenant paidTenant(String name, int requests, Map<String, Object> policy) {
        Tenant t = newTenant(unique(name), 100);
        if (policy != null) {
            var r = putPolicy(t, policy);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
        UUID w = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            batch.add(request("r" + i, w, 2000, 1500, SEPTEMBER.plusSeconds(i)));
        }
        ingest(t.key(), batch);
        String invoice = api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-09")).text("id");
        assertThat(api.post(t.key(), "/v1/invoices/" + invoice + "/payments", Api.map()).status()).isEqualTo(201);
        return t;
    }

    private BigDecimal allocated(UUID tenant) {
        return jdbc.sql("select coalesce(sum(co2e_grams), 0) from offset_allocations where tenant_id = ?")
                .param(tenant).query(BigDecimal.class).single();
    }

    private BigDecimal emitted(UUID tenant) {
        return jdbc.sql("select sum(co2e_grams_location) from emission_records where tenant_id = ?").param(tenant)
                .query(BigDecimal.class).single();
    }

    private List<UUID> retiredLots(UUID tenant) {
        return jdbc.sql("select lot_id from offset_retirements where tenant_id = ?").param(tenant)
                .query(UUID.class).list();
    }

    @Test
    void paymentRetiresOnlyWhatThePolicyAllows() {
        UUID avoidance = product("OTHER", "AVOIDANCE");
        UUID removal = product("OTHER", "REMOVAL");
        lot("OTHER", avoidance, 2099, 10);
        lot("OTHER", removal, 2098, 10);
        UUID allowed = lot("OTHER", removal, 2099, 10);
        Tenant t = paidTenant("policy", 3, Map.of("removalOnly", true, "minVintage", 2099,
                "registries", List.of("OTHER"), "productId", removal.toString()));
        assertThat(retiredLots(t.id())).containsExactly(allowed);
        assertThat(allocated(t.id())).isEqualByComparingTo(emitted(t.id()));
        var policy = api.get(t.key(), "/v1/offsets/policy");
        assertThat(policy.body().path("minVintage").asInt()).isEqualTo(2099);
        assertThat(policy.text("retirementOrder")).isEqualTo("OLDEST_VINTAGE_FIRST");
    }

    @Test
    void passThroughPricesTheLotsThePolicyAllows() {
        String currency = "SEK";
        UUID cheap = product("OTHER", "AVOIDANCE");
        UUID chosen = product("OTHER", "REMOVAL");
        for (var lot : List.of(Map.of("p", cheap, "vintage", 2001, "price", 10),
                Map.of("p", chosen, "vintage", 2024, "price", 77))) {
            String projectId = jdbc.sql("select registry_project_id from offset_products where id = ?")
                    .param(lot.get("p")).query(String.class).single();
            assertThat(api.post(OPERATOR_KEY, "/v1/offsets/lots", Api.map("registry", "OTHER", "projectId", projectId,
                    "vintage", lot.get("vintage"), "serialPrefix", unique("S"), "serialFirst", 1, "serialLast", 10,
                    "pricePerTonne", lot.get("price"), "currency", currency)).status()).isEqualTo(201);
        }
        Tenant t = newTenant(unique("pass-through"), 100);
        assertThat(putPolicy(t, Map.of("productId", chosen.toString())).status()).isEqualTo(200);
        assertThat(api.send(t.key(), "PUT", "/v1/billing/policy", java.net.http.HttpRequest.BodyPublishers.ofString(
                Api.JSON.writeValueAsString(Map.of("pricingMode", "PASS_THROUGH", "currency", currency))),
                "application/json").status()).isEqualTo(200);
        UUID w = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        ingest(t.key(), List.of(request("r", w, 2000, 1500, SEPTEMBER)));
        var invoice = api.post(t.key(), "/v1/billing/periods/close", Api.map("period", "2026-09"));
        assertThat(invoice.body().path("lines").get(0).path("pricePerTonne").decimalValue())
                .isEqualByComparingTo("77");
    }

    @Test
    void newestVintageFirstTakesTheNewestAllowedLot() {
        UUID product = product("OTHER", "REMOVAL");
        lot("OTHER", product, 2020, 10);
        UUID newest = lot("OTHER", product, 2024, 10);
        Tenant t = paidTenant("newest", 1, Map.of("productId", product.toString(),
                "retirementOrder", "NEWEST_VINTAGE_FIRST"));
        assertThat(retiredLots(t.id())).containsExactly(newest);
    }

    @Test
    void whatNoAllowedLotCoversStaysUncoveredUntilARegistryRetirementIsRecorded() {
        UUID product = product("VERRA", "REMOVAL");
        Tenant t = paidTenant("registry", 2, Map.of("productId", product.toString()));
        assertThat(allocated(t.id())).isZero();
        UUID lot = lot("VERRA", product, 2022, 5);
        var r = api.post(OPERATOR_KEY, "/v1/operator/retirements", Api.map("tenantId", t.id().toString(),
                "lotId", lot.toString(), "tonnes", 2, "registryRetirementId", unique("VCS-RET"),
                "beneficiary", "Inference Co", "reason", "Scope 3 inference emissions, September 2026"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.text("source")).isEqualTo("REGISTRY");
        assertThat(r.body().path("tonnes").asLong()).isEqualTo(2);
        assertThat(r.text("serialRange")).endsWith("-1 to " + r.text("serialRange").split("-1 to ")[0] + "-2");
        assertThat(r.text("beneficiary")).isEqualTo("Inference Co");
        assertThat(r.text("reason")).isEqualTo("Scope 3 inference emissions, September 2026");
        assertThat(r.body().path("gramsAllocated").decimalValue()).isEqualByComparingTo(emitted(t.id()));
        assertThat(allocated(t.id())).isEqualByComparingTo(emitted(t.id()));
        assertThat(jdbc.sql("select count(*) from audit_events where action = 'OFFSET_RETIREMENT_RECORDED' "
                + "and target_id = ?").param(r.text("id")).query(Long.class).single()).isEqualTo(1);
    }

    private Api.Response recordRetirement(Tenant t, UUID lot, long tonnes, String registryId) {
        return api.post(OPERATOR_KEY, "/v1/operator/retirements", Api.map("tenantId", t.id().toString(),
                "lotId", lot.toString(), "tonnes", tonnes, "registryRetirementId", registryId, "reason", "r"));
    }

    private long retirementsOf(UUID lot) {
        return jdbc.sql("select count(*) from offset_retirements where lot_id = ?").param(lot).query(Long.class)
                .single();
    }

    @Test
    void retiringMoreThanTheLotHoldsIsRefusedAndNothingIsStored() {
        UUID product = product("OTHER", "REMOVAL");
        UUID lot = lot("OTHER", product, 2022, 3);
        Tenant t = newTenant(unique("more"), 100);
        assertThat(recordRetirement(t, lot, 2, unique("R")).status()).isEqualTo(201);
        var r = recordRetirement(t, lot, 2, unique("R"));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("tonnes");
        assertThat(r.text("detail")).isEqualTo("retiring 2 t from lot " + lot + " but it holds 1 t not yet retired");
        assertThat(retirementsOf(lot)).isEqualTo(1);
    }

    @Test
    void aLotOfAVintageThePolicyRefusesIsNotRetired() {
        UUID product = product("OTHER", "REMOVAL");
        UUID lot = lot("OTHER", product, 2015, 3);
        Tenant t = newTenant(unique("vintage"), 100);
        assertThat(putPolicy(t, Map.of("minVintage", 2018)).status()).isEqualTo(200);
        var r = recordRetirement(t, lot, 1, unique("R"));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("lotId");
        assertThat(r.text("detail")).isEqualTo("lot " + lot + " is of vintage 2015; the tenant's policy requires "
                + "2018 or later");
        assertThat(retirementsOf(lot)).isZero();
    }

    @Test
    void anAvoidanceLotIsNotRetiredForARemovalOnlyTenant() {
        UUID lot = lot("OTHER", product("OTHER", "AVOIDANCE"), 2022, 3);
        Tenant t = newTenant(unique("removal"), 100);
        assertThat(putPolicy(t, Map.of("removalOnly", true)).status()).isEqualTo(200);
        var r = recordRetirement(t, lot, 1, unique("R"));
        assertThat(r.text("detail")).isEqualTo("the tenant's policy allows removals only; lot " + lot
                + " is AVOIDANCE");
        assertThat(retirementsOf(lot)).isZero();
    }

    @Test
    void aRegistryRetirementIdIsRecordedOnce() {
        UUID lot = lot("OTHER", product("OTHER", "REMOVAL"), 2022, 3);
        Tenant t = newTenant(unique("once"), 100);
        String id = unique("R");
        assertThat(recordRetirement(t, lot, 1, id).status()).isEqualTo(201);
        var r = recordRetirement(t, lot, 1, id);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text("field")).isEqualTo("registryRetirementId");
        assertThat(retirementsOf(lot)).isEqualTo(1);
    }

    @Test
    void anUnknownLotOrTenantIsNamed() {
        Tenant t = newTenant(unique("unknown"), 100);
        var lot = recordRetirement(t, UUID.randomUUID(), 1, unique("R"));
        assertThat(lot.status()).isEqualTo(400);
        assertThat(lot.text("field")).isEqualTo("lotId");
        var tenant = api.post(OPERATOR_KEY, "/v1/operator/retirements", Api.map("tenantId",
                UUID.randomUUID().toString(), "lotId", UUID.randomUUID().toString(), "tonnes", 1,
                "registryRetirementId", unique("R"), "reason", "r"));
        assertThat(tenant.status()).isEqualTo(400);
        assertThat(tenant.text("field")).isEqualTo("tenantId");
    }

    @Test
    void aPolicyNamingAProductOutsideTheCatalogIsRefused() {
        Tenant t = newTenant(unique("p"), 100);
        var r = putPolicy(t, Map.of("productId", UUID.randomUUID().toString()));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text("field")).isEqualTo("productId");
    }

    @Test
    void manyConcurrentCoveringRunsAllocateEachGramOnce() throws Exception {
        UUID product = product("OTHER", "REMOVAL");
        Tenant t = paidTenant("race", 12, Map.of("productId", product.toString()));
        UUID lot = lot("OTHER", product, 2022, 5);
        UUID retirement = insertRetirement(lot, t.id(), 1, 1);
        List<Future<BigDecimal>> runs = race(16, () -> ledger.coverOutstanding(t.id()));
        BigDecimal byRuns = BigDecimal.ZERO;
        for (Future<BigDecimal> run : runs) {
            byRuns = byRuns.add(run.get());
        }
        BigDecimal expected = emitted(t.id()).min(BigDecimal.valueOf(1_000_000));
        assertThat(byRuns).isEqualByComparingTo(expected);
        assertThat(allocated(t.id())).isEqualByComparingTo(expected);
        assertThat(jdbc.sql("""
                select count(*) from emission_records e where e.tenant_id = ? and e.co2e_grams_location <>
                  (select coalesce(sum(a.co2e_grams), 0) from offset_allocations a where a.emission_record_id = e.id)""")
                .param(t.id()).query(Long.class).single()).isZero();
        assertThat(retirement).isNotNull();
    }

    /**
     * Allocations racing outside the application's tenant lock, each in its own transaction: two retirements of one
     * tonne and six emission records of 400 kg, every pair at once. The database alone keeps Σ per retirement ≤ one
     * tonne and Σ per record ≤ its mass.
     */
    @Test
    void theDatabaseNeverOverAllocatesUnderRacingInserts() throws Exception {
        Tenant t = newTenant(unique("db-race"), 100);
        UUID w = newWorkload(t.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            batch.add(request("r" + i, w, 10, 10, SEPTEMBER.plusSeconds(i)));
        }
        ingest(t.key(), batch);
        jdbc.sql("""
                update emission_records set co2e_grams_low = 400000, co2e_grams_location = 400000,
                       co2e_grams_high = 400000, co2e_grams_market = 400000 where tenant_id = ?""")
                .param(t.id()).update();
        List<UUID> records = jdbc.sql("select id from emission_records where tenant_id = ?").param(t.id())
                .query(UUID.class).list();
        UUID lot = lot("OTHER", product("OTHER", "REMOVAL"), 2022, 5);
        List<UUID> retirements = List.of(insertRetirement(lot, t.id(), 1, 1), insertRetirement(lot, t.id(), 2, 2));
        List<Runnable> inserts = new ArrayList<>();
        for (UUID r : retirements) {
            for (UUID e : records) {
                // each in its own transaction, held open a moment after the insert so that the transactions overlap
                inserts.add(() -> transactions.executeWithoutResult(status -> {
                    jdbc.sql("""
                            insert into offset_allocations (id, retirement_id, emission_record_id, tenant_id,
                                                            co2e_grams, allocated_at)
                            values (gen_random_uuid(), ?, ?, ?, 400000, now())""").params(r, e, t.id()).update();
                    jdbc.sql("select pg_sleep(0.2)").query(Object.class).single();
                }));
            }
        }
        Collections.shuffle(inserts);
        int succeeded = 0;
        List<String> refusals = new ArrayList<>();
        for (Future<Object> f : race(inserts.size(), inserts)) {
            try {
                f.get();
                succeeded++;
            } catch (java.util.concurrent.ExecutionException e) {
                refusals.add(e.getCause().getMessage());
            }
        }
        assertThat(refusals).allSatisfy(m -> assertThat(m).containsAnyOf("allocations exceed the mass of retirement",
                "allocations exceed the emissions of record"));
        for (UUID r : retirements) {
            assertThat(jdbc.sql("select coalesce(sum(co2e_grams), 0) from offset_allocations where retirement_id = ?")
                    .param(r).query(BigDecimal.class).single()).isLessThanOrEqualTo(BigDecimal.valueOf(1_000_000));
        }
        for (UUID e : records) {
            assertThat(jdbc.sql("select coalesce(sum(co2e_grams), 0) from offset_allocations where emission_record_id = ?")
                    .param(e).query(BigDecimal.class).single()).isLessThanOrEqualTo(BigDecimal.valueOf(400_000));
        }
        // at most two 400 kg allocations fit each one-tonne retirement, and at least one got through
        assertThat(succeeded).isBetween(1, 4);
    }

    private UUID insertRetirement(UUID lot, UUID tenant, long first, long last) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into offset_retirements (id, lot_id, tenant_id, serial_first, serial_last, co2e_grams,
                    registry_retirement_id, beneficiary, reason, retired_at, source)
                values (?, ?, ?, ?, ?, ?, ?, 'b', 'r', now(), 'REGISTRY')""")
                .params(id, lot, tenant, first, last, BigDecimal.valueOf((last - first + 1) * 1_000_000L),
                        "ret-" + id).update();
        jdbc.sql("update offset_lots set retired_tonnes = retired_tonnes + ? where id = ?")
                .params(last - first + 1, lot).update();
        return id;
    }

    private static <T> List<Future<T>> race(int threads, java.util.concurrent.Callable<T> task) {
        List<java.util.concurrent.Callable<T>> tasks = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            tasks.add(task);
        }
        return raceAll(tasks);
    }

    private static List<Future<Object>> race(int threads, List<Runnable> tasks) {
        return raceAll(tasks.stream().<java.util.concurrent.Callable<Object>>map(r -> () -> {
            r.run();
            return null;
        }).toList());
    }

    private static <T> List<Future<T>> raceAll(List<java.util.concurrent.Callable<T>> tasks) {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (var task : tasks) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            for (Future<T> f : futures) {
                try {
                    f.get();
                } catch (Exception ignored) {
                    // inspected by the caller
                }
            }
            return futures;
        } finally {
            pool.shutdown();
        }
    }
}
