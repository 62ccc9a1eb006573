package org.carbonledger.emissions.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.carbonledger.support.Api;
import org.carbonledger.support.IntegrationTest;
import org.carbonledger.workload.Workload;
import org.carbonledger.workload.Workloads;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A batch's emission records, written with a fixed number of statements, store exactly the figures the single-request
 * path ({@link EmissionsRecorder#calculate} with the overlap sum of one request, {@link #observedOccupancy}) gives each request.
 */
class BatchedEmissionRecordsIntegrationTest extends IntegrationTest {

    private static final String HOURLY_REGION = "ap-southeast-2";
    private static final String OTHER_REGION = "eu-north-1";
    private static final Instant HOUR = Instant.parse("2026-05-17T03:00:00Z");

    @Autowired
    EmissionsRecorder recorder;

    @Autowired
    Workloads workloads;

    private record Req(String id, UUID workload, long in, long out, Instant startedAt, Instant endedAt) {
        Map<String, Object> body() {
            return Api.map("requestId", id, "workloadId", workload.toString(), "inputTokens", in, "outputTokens", out,
                    "startedAt", startedAt.toString(), "endedAt", endedAt.toString());
        }
    }

    @Test
    void everyRecordOfABatchStoresTheSingleRequestFigures() {
        Tenant tenant = newTenant(unique("batched"), 100);
        UUID a = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", HOURLY_REGION);
        UUID b = newWorkload(tenant.key(), "code", "meta-llama/Meta-Llama-3.1-8B-Instruct", OTHER_REGION);
        // an hourly factor for one hour of one region, so the batch resolves different factors by region and hour
        var imported = api.send(OPERATOR_KEY, "POST", "/v1/emission-factors/hourly?datasetVersion="
                + unique("batch") + "&source=grid-operator-test&status=FINAL",
                HttpRequest.BodyPublishers.ofString("region,hour_start,gco2e_per_kwh\n" + HOURLY_REGION + ","
                        + HOUR + ",100.0\n"), "text/csv");
        assertThat(imported.status()).as(imported.toString()).isEqualTo(200);
        // a market-based instrument covering part of the other region
        var instrument = api.post(OPERATOR_KEY, "/v1/energy-instruments", Api.map("tenantId", tenant.id().toString(),
                "region", OTHER_REGION, "periodStart", "2026-05-01", "periodEnd", "2026-06-01", "coverage", 0.4,
                "gco2ePerKwh", 0, "kind", "EAC", "reference", unique("GO")));
        assertThat(instrument.status()).as(instrument.toString()).isEqualTo(201);

        Instant h = HOUR.plusSeconds(3599); // 03:59:59, the hourly factor's last second
        // a marginal signal of the other region for the five minutes around h, so some of the batch get one
        jdbc.sql("""
                insert into marginal_signals (id, provider, region, zone, signal_type, point_time, valid_to, value,
                                              units, gco2e_per_kwh, model_version, fetched_at)
                values (gen_random_uuid(), 'watttime', ?, 'SE', 'co2_moer', ?, ?, 900, 'lbs_co2_per_mwh', 408.233,
                        ?, now())""").params(OTHER_REGION, java.sql.Timestamp.from(h.minusSeconds(60)),
                java.sql.Timestamp.from(h.plusSeconds(240)), unique("model")).update();
        // stored before the batch: it overlaps the batch's requests on workload a and counts in their occupancy
        Req earlier = new Req("earlier", a, 300, 200, h.minusSeconds(30), h.minusSeconds(5));
        assertThat(ingest(tenant.key(), List.of(earlier.body())).status()).isEqualTo(200);
        List<Req> batch = List.of(
                new Req("a-across-hours", a, 812, 405, h.minusSeconds(10), h.plusSeconds(11)),
                new Req("a-in-hour", a, 500, 300, h.minusSeconds(20), h.minusSeconds(2)),
                new Req("a-zero-length", a, 40, 1, h.minusSeconds(8), h.minusSeconds(8)),
                new Req("a-alone", a, 700, 90, HOUR.plusSeconds(600), HOUR.plusSeconds(605)),
                new Req("b-first", b, 1000, 500, h.minusSeconds(9), h.plusSeconds(6)),
                new Req("b-same-end", b, 200, 800, h.minusSeconds(7), h.plusSeconds(6)),
                new Req("b-twin", b, 3000, 20, h.minusSeconds(9), h.plusSeconds(6)),
                new Req("b-in-hour", b, 64, 64, h.minusSeconds(4), h.minusSeconds(1)),
                new Req("b-alone", b, 10, 10, HOUR.plusSeconds(7200), HOUR.plusSeconds(7201)));
        var response = ingest(tenant.key(), batch.stream().map(Req::body).toList());
        assertThat(response.status()).as(response.toString()).isEqualTo(200);

        List<Req> all = new ArrayList<>(batch);
        all.add(earlier);
        Set<Object> factorIds = new HashSet<>();
        Set<BigDecimal> occupancies = new HashSet<>();
        for (Req r : all) {
            Workload workload = workloads.find(tenant.id(), r.workload()).orElseThrow();
            EmissionsRecorder.Calculation c = recorder.calculate(workload, r.in(), r.out(),
                    observedOccupancy(r.workload(), r.startedAt(), r.endedAt()), r.endedAt());
            Map<String, Object> stored = jdbc.sql("""
                    select e.* from emission_records e join inference_requests q on q.id = e.inference_request_id
                     where q.tenant_id = ? and q.request_id = ?""").params(tenant.id(), r.id()).query().singleRow();
            if (r == earlier) {
                // stored alone before the batch: its occupancy then counted neither the batch nor a-across-hours
                assertThat(stored.get("version")).isEqualTo(1);
                continue;
            }
            String is = r.id();
            assertThat(stored.get("version")).as(is).isEqualTo(1);
            assertThat(stored.get("emission_factor_id")).as(is).isEqualTo(c.factor().id());
            assertThat(stored.get("factor_valid_from")).as(is).isEqualTo(java.sql.Timestamp.from(c.factor().validFrom()));
            assertThat((BigDecimal) stored.get("batch_occupancy")).as(is).isEqualByComparingTo(
                    BigDecimal.valueOf(c.gpu().batchOccupancy()).setScale(3, RoundingMode.HALF_EVEN));
            assertThat(stored.get("estimator_flags")).as(is).isEqualTo(String.join(";", c.gpu().flags()));
            assertThat((BigDecimal) stored.get("pue")).as(is).isEqualByComparingTo(c.pue());
            assertThat((BigDecimal) stored.get("energy_joules")).as(is).isEqualByComparingTo(c.total().joules());
            assertThat((BigDecimal) stored.get("energy_joules_low")).as(is).isEqualByComparingTo(c.low().joules());
            assertThat((BigDecimal) stored.get("energy_joules_high")).as(is).isEqualByComparingTo(c.high().joules());
            assertThat((BigDecimal) stored.get("energy_joules_prefill")).as(is)
                    .isEqualByComparingTo(c.prefill().joules());
            assertThat((BigDecimal) stored.get("energy_joules_decode")).as(is).isEqualByComparingTo(c.decode().joules());
            assertThat((BigDecimal) stored.get("energy_joules_host")).as(is).isEqualByComparingTo(c.host().joules());
            assertThat((BigDecimal) stored.get("energy_joules_idle")).as(is).isEqualByComparingTo(c.idle().joules());
            assertThat((BigDecimal) stored.get("energy_joules_pue_overhead")).as(is)
                    .isEqualByComparingTo(c.overhead().joules());
            assertThat((BigDecimal) stored.get("co2e_grams_embodied")).as(is).isEqualByComparingTo(c.embodiedGrams());
            assertThat((BigDecimal) stored.get("co2e_grams_location")).as(is)
                    .isEqualByComparingTo(c.co2eLocation().grams());
            assertThat((BigDecimal) stored.get("co2e_grams_market")).as(is).isEqualByComparingTo(c.co2eMarket().grams());
            assertThat((BigDecimal) stored.get("co2e_grams_low")).as(is).isEqualByComparingTo(c.co2eLow().grams());
            assertThat((BigDecimal) stored.get("co2e_grams_high")).as(is).isEqualByComparingTo(c.co2eHigh().grams());
            assertThat((BigDecimal) stored.get("market_coverage")).as(is).isEqualByComparingTo(c.market().coverage());
            assertThat(stored.get("market_residual_basis")).as(is).isEqualTo(c.market().residualBasis());
            assertThat(stored.get("marginal_signal_id")).as(is)
                    .isEqualTo(c.marginal() == null ? null : c.marginal().id());
            assertThat(stored.get("factor_signal_type")).as(is).isEqualTo("average");
            assertThat(stored.get("energy_basis")).as(is).isEqualTo("ESTIMATED");
            factorIds.add(stored.get("emission_factor_id"));
            occupancies.add((BigDecimal) stored.get("batch_occupancy"));
        }
        // the batch really spans three factors (hourly, annual of the same region, the other region's) and both
        // observed occupancies and the default for requests nothing else overlaps
        assertThat(factorIds).hasSize(3);
        assertThat(occupancies).contains(new BigDecimal("64.000"));
        assertThat(occupancies.size()).isGreaterThanOrEqualTo(4);
        // the marginal signal reached exactly the requests of the other region that ended inside it
        assertThat(jdbc.sql("""
                select count(*) from emission_records e join inference_requests q on q.id = e.inference_request_id
                 where q.tenant_id = ? and e.marginal_signal_id is not null""").param(tenant.id())
                .query(Long.class).single()).isEqualTo(4L);
        // the instrument covers the other region only
        assertThat(jdbc.sql("""
                select count(*) from emission_records e join inference_requests q on q.id = e.inference_request_id
                 where q.tenant_id = ? and e.market_coverage = 0.4""").param(tenant.id()).query(Long.class).single())
                .isEqualTo(5L);
        // every record of the batch is a leaf of the transparency log
        assertThat(jdbc.sql("""
                select count(*) from emission_records e join inference_requests q on q.id = e.inference_request_id
                  join log_leaves g on g.kind = 'EMISSION_RECORD' and g.subject_id = e.id
                 where q.tenant_id = ?""").param(tenant.id()).query(Long.class).single()).isEqualTo(10L);
    }

    /**
     * A request that arrives after later ones of its workload (a spool replayed after an outage) gets the occupancy
     * of the unbounded query: its range ends at its end plus the workload's longest request (V78), and a long
     * request stored earlier that started before it ended still counts. The longest request is kept per workload.
     */
    @Test
    void aLateRequestCountsEveryRequestOverlappingIt() {
        Tenant tenant = newTenant(unique("late-occupancy"), 100);
        UUID c = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", OTHER_REGION);
        Instant t = HOUR.plusSeconds(7200);
        Req longRunning = new Req("long", c, 5000, 4000, t.minusSeconds(3600), t.plusSeconds(3600));
        List<Map<String, Object>> later = new ArrayList<>();
        later.add(longRunning.body());
        for (int i = 0; i < 50; i++) {
            Instant end = t.plusSeconds(60 + 60L * i);
            later.add(new Req("later-" + i, c, 100, 100, end.minusSeconds(30), end).body());
        }
        assertThat(ingest(tenant.key(), later).body().path("accepted").asInt()).isEqualTo(51);
        assertThat(jdbc.sql("select max_seconds from workload_request_spans where workload_id = ?").param(c)
                .query(BigDecimal.class).single()).isEqualByComparingTo("7200");

        Req late = new Req("late", c, 300, 300, t.minusSeconds(20), t.minusSeconds(10));
        Req lateOverlapping = new Req("late-overlapping", c, 300, 300, t.plusSeconds(50), t.plusSeconds(100));
        var response = ingest(tenant.key(), List.of(late.body(), lateOverlapping.body()));
        assertThat(response.body().path("accepted").asInt()).as(response.toString()).isEqualTo(2);
        Workload workload = workloads.find(tenant.id(), c).orElseThrow();
        for (Req r : List.of(late, lateOverlapping)) {
            Double expected = observedOccupancy(c, r.startedAt(), r.endedAt());
            EmissionsRecorder.Calculation calc = recorder.calculate(workload, r.in(), r.out(), expected, r.endedAt());
            BigDecimal stored = jdbc.sql("""
                    select e.batch_occupancy from emission_records e join inference_requests q
                        on q.id = e.inference_request_id where q.tenant_id = ? and q.request_id = ?""")
                    .params(tenant.id(), r.id()).query(BigDecimal.class).single();
            assertThat(stored).as(r.id()).isEqualByComparingTo(
                    BigDecimal.valueOf(calc.gpu().batchOccupancy()).setScale(3, RoundingMode.HALF_EVEN));
        }
        // the late request overlaps only the long one (and itself): occupancy 2; the other overlaps two more
        assertThat(observedOccupancy(c, late.startedAt(), late.endedAt())).isEqualTo(2.0);
        assertThat(observedOccupancy(c, lateOverlapping.startedAt(), lateOverlapping.endedAt())).isGreaterThan(2.0);
    }

    /** The one-request occupancy query the batch statement replaced: the reference the batched figures must equal. */
    private Double observedOccupancy(UUID workloadId, Instant startedAt, Instant endedAt) {
        Map<String, Object> o = jdbc.sql("""
                select count(*) as requests,
                       coalesce(sum(extract(epoch from (least(ended_at, ?) - greatest(started_at, ?)))), 0) as s
                  from inference_requests
                 where workload_id = ? and ended_at >= ? and started_at <= ?""")
                .params(java.sql.Timestamp.from(endedAt), java.sql.Timestamp.from(startedAt), workloadId,
                        java.sql.Timestamp.from(startedAt), java.sql.Timestamp.from(endedAt))
                .query().singleRow();
        return EmissionsRecorder.occupancy(((Number) o.get("requests")).longValue(),
                ((Number) o.get("s")).doubleValue(), startedAt, endedAt);
    }
}
