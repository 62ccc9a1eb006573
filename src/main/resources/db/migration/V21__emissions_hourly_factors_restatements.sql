-- Hourly location-based grid factors (imported series) and restatements of emission records when factors change.

alter table emission_factors add column imported_at timestamptz not null default now();

-- the lookup: newest window start, FINAL before ESTIMATED, latest import first
create index emission_factors_lookup on emission_factors (region, basis, valid_from desc);

create table emission_restatements (
    id                      uuid primary key,
    dataset_version         text        not null,
    reason                  text        not null,
    created_at              timestamptz not null,
    records_restated        integer     not null check (records_restated >= 0),
    records_billed_skipped  integer     not null check (records_billed_skipped >= 0),
    records_v0_skipped      integer     not null check (records_v0_skipped >= 0)
);

-- per tenant and billing month (UTC): what the restatement changed
create table emission_restatement_lines (
    restatement_id      uuid          not null references emission_restatements (id),
    tenant_id           uuid          not null references tenants (id),
    period_start        date          not null,
    records             integer       not null check (records > 0),
    co2e_grams_before   numeric(20,6) not null check (co2e_grams_before >= 0),
    co2e_grams_after    numeric(20,6) not null check (co2e_grams_after >= 0),
    primary key (restatement_id, tenant_id, period_start)
);
