package org.carbonledger.shared.persistence;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.carbonledger.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The references of the ingest path's tables, checked once per statement (V75, decision 0077): a row whose tenant,
 * workload, request, grid factor or marginal signal does not exist is refused, however many valid rows share its
 * statement, and referenced rows can be neither deleted nor re-keyed.
 */
class ReferencesIntegrationTest extends IntegrationTest {

    private Tenant tenant;
    private UUID workload;
    private UUID request;

    @BeforeEach
    void aStoredRequest() {
        tenant = newTenant(unique("refs"), 100);
        workload = newWorkload(tenant.key(), "chat", "meta-llama/Meta-Llama-3.1-70B-Instruct", "us-east-1");
        var response = ingest(tenant.key(), List.of(request("refs-1", workload, 10, 20, START.minusSeconds(3600))));
        assertThat(response.body().path("accepted").asInt()).as(response.toString()).isEqualTo(1);
        request = jdbc.sql("select id from inference_requests where tenant_id = ? and request_id = 'refs-1'")
                .param(tenant.id()).query(UUID.class).single();
    }

    private int insertRequests(UUID workloadId, UUID tenantId, String... requestIds) {
        return jdbc.sql("""
                insert into inference_requests (id, tenant_id, workload_id, request_id, input_tokens, output_tokens,
                                                started_at, ended_at, source, received_at)
                select gen_random_uuid(), ?, ?, r, 1, 1, now() - interval '1 hour', now() - interval '1 hour',
                       'rest', now()
                  from unnest(?::text[]) as r""").params(tenantId, workloadId, requestIds).update();
    }

    @Test
    void aRequestOfAnUnknownWorkloadOrOfAnotherTenantsWorkloadIsRefused() {
        assertThatThrownBy(() -> insertRequests(UUID.randomUUID(), tenant.id(), "refs-x"))
                .hasMessageContaining("which does not exist");
        Tenant other = newTenant(unique("refs-other"), 100);
        assertThatThrownBy(() -> insertRequests(workload, other.id(), "refs-y"))
                .hasMessageContaining("which does not exist");
        assertThat(insertRequests(workload, tenant.id(), "refs-ok")).isEqualTo(1);
        assertThatThrownBy(() -> jdbc.sql("update inference_requests set workload_id = ? where id = ?")
                .params(UUID.randomUUID(), request).update()).hasMessageContaining("which does not exist");
    }

    @Test
    void anEmissionRecordOfAnUnknownRequestOrFactorIsRefused() {
        String copy = """
                insert into emission_records
                select gen_random_uuid(), %s, %s, version + 1, methodology_version, energy_joules,
                       energy_joules_low, energy_joules_high, pue, %s, co2e_grams_location, co2e_grams_market,
                       co2e_grams_low, co2e_grams_high, calculated_at, energy_joules_prefill, energy_joules_decode,
                       energy_joules_accelerator, energy_joules_host, energy_joules_idle,
                       energy_joules_pue_overhead, co2e_grams_embodied, batch_occupancy, gpu_key, estimator_flags,
                       energy_basis, factor_source, factor_zone, factor_valid_from, factor_valid_to,
                       factor_dataset_version, factor_status, market_coverage, market_residual_basis,
                       factor_signal_type, %s
                  from emission_records where inference_request_id = ?""";
        assertThatThrownBy(() -> jdbc.sql(copy.formatted("tenant_id", "gen_random_uuid()", "emission_factor_id",
                "marginal_signal_id, co2e_grams_marginal")).param(request).update()).as("an unknown request")
                .hasMessageContaining("does not exist");
        UUID otherTenant = newTenant(unique("refs-other"), 100).id();
        assertThatThrownBy(() -> jdbc.sql(copy.formatted("'" + otherTenant + "'::uuid", "inference_request_id",
                "emission_factor_id", "marginal_signal_id, co2e_grams_marginal")).param(request).update())
                .as("the request of another tenant").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> jdbc.sql(copy.formatted("tenant_id", "inference_request_id", "gen_random_uuid()",
                "marginal_signal_id, co2e_grams_marginal")).param(request).update()).as("an unknown grid factor")
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> jdbc.sql(copy.formatted("tenant_id", "inference_request_id", "emission_factor_id",
                "gen_random_uuid(), 1")).param(request).update()).as("an unknown marginal signal")
                .hasMessageContaining("does not exist");
        assertThat(jdbc.sql(copy.formatted("tenant_id", "inference_request_id", "emission_factor_id",
                "marginal_signal_id, co2e_grams_marginal")).param(request).update())
                .as("a version of a stored request with a stored factor").isEqualTo(1);
    }

    @Test
    void referencedRowsAreNeverDeletedNorReKeyed() {
        assertThatThrownBy(() -> jdbc.sql("delete from workloads where id = ?").param(workload).update())
                .hasMessageContaining("never deleted");
        assertThatThrownBy(() -> jdbc.sql("update workloads set tenant_id = gen_random_uuid() where id = ?")
                .param(workload).update()).hasMessageContaining("never deleted nor re-keyed");
        assertThatThrownBy(() -> jdbc.sql("delete from tenants where id = ?").param(tenant.id()).update())
                .hasMessageContaining("never deleted");
        UUID factor = jdbc.sql("select emission_factor_id from emission_records where inference_request_id = ?")
                .param(request).query(UUID.class).single();
        assertThatThrownBy(() -> jdbc.sql("delete from emission_factors where id = ?").param(factor).update())
                .hasMessageContaining("never deleted");
        assertThatThrownBy(() -> jdbc.sql("delete from inference_requests where id = ?").param(request).update())
                .hasMessageContaining("referenced by its emission records");
        assertThat(jdbc.sql("select count(*) from inference_requests where id = ?").param(request)
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void aLogLeafOfAnUnknownTenantIsRefused() {
        assertThatThrownBy(() -> jdbc.sql("""
                insert into log_leaves (leaf_index, tenant_id, kind, subject_id, entry, leaf_hash, appended_at)
                select leaf_index + 1, gen_random_uuid(), kind, gen_random_uuid(), entry, leaf_hash, now()
                  from log_leaves order by leaf_index desc limit 1""").update()).hasMessageContaining("which does not exist");
    }
}
