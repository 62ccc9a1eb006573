-- Methodology estimator-v1: full-boundary components, estimator inputs and factor provenance on every emission record.
-- Records of per-token-v0 keep nulls in the new component columns; every newer record must carry all of them.

alter table emission_factors
    add column status text not null default 'FINAL' check (status in ('ESTIMATED', 'FINAL')),
    add column zone   text;

alter table emission_records
    add column energy_joules_prefill      numeric(20,6) check (energy_joules_prefill >= 0),
    add column energy_joules_decode       numeric(20,6) check (energy_joules_decode >= 0),
    add column energy_joules_accelerator  numeric(20,6) check (energy_joules_accelerator >= 0),
    add column energy_joules_host         numeric(20,6) check (energy_joules_host >= 0),
    add column energy_joules_idle         numeric(20,6) check (energy_joules_idle >= 0),
    add column energy_joules_pue_overhead numeric(20,6) check (energy_joules_pue_overhead >= 0),
    add column co2e_grams_embodied        numeric(20,6) check (co2e_grams_embodied >= 0),
    add column batch_occupancy            numeric(12,3) check (batch_occupancy >= 1),
    add column gpu_key                    text,
    add column estimator_flags            text,
    add column energy_basis               text check (energy_basis in ('ESTIMATED', 'MEASURED')),
    add column factor_source              text,
    add column factor_zone                text,
    add column factor_valid_from          timestamptz,
    add column factor_valid_to            timestamptz,
    add column factor_dataset_version     text,
    add column factor_status              text check (factor_status in ('ESTIMATED', 'FINAL')),
    add constraint emission_records_v1_complete check (
        methodology_version = 'per-token-v0'
        or (energy_joules_prefill is not null and energy_joules_decode is not null
            and energy_joules_accelerator is not null and energy_joules_host is not null
            and energy_joules_idle is not null and energy_joules_pue_overhead is not null
            and co2e_grams_embodied is not null and batch_occupancy is not null and gpu_key is not null
            and estimator_flags is not null and energy_basis is not null and factor_source is not null
            and factor_zone is not null and factor_valid_from is not null
            and factor_dataset_version is not null and factor_status is not null
            -- components add up to the totals (each rounded to 1 µJ)
            and abs(energy_joules_prefill + energy_joules_decode - energy_joules_accelerator) <= 0.000002
            and abs(energy_joules_accelerator + energy_joules_host + energy_joules_idle + energy_joules_pue_overhead
                    - energy_joules) <= 0.000004));

-- batch occupancy at ingest: requests of the workload in flight around a request's time
create index inference_requests_workload_ended on inference_requests (workload_id, ended_at);
