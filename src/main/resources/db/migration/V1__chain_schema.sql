-- carbonledger: the seed's relational model.
-- The chain request -> emission record -> invoice line -> allocation -> retirement -> receipt is made of foreign keys.
-- Mass is numeric grams (co2e_grams), energy numeric joules (energy_joules), money numeric + currency char(3).

-- workload module --------------------------------------------------------------------------------------------------
create table tenants (
    id               uuid primary key,
    name             text          not null check (length(name) between 1 and 200),
    currency         char(3)       not null check (currency ~ '^[A-Z]{3}$'),
    price_per_tonne  numeric(19,4) not null check (price_per_tonne >= 0),
    created_at       timestamptz   not null
);

create table api_keys (
    id           uuid primary key,
    tenant_id    uuid references tenants (id),
    role         text        not null check (role in ('OPERATOR', 'TENANT')),
    prefix       text        not null unique,
    secret_hash  bytea       not null unique,
    created_at   timestamptz not null,
    revoked_at   timestamptz,
    check ((role = 'OPERATOR') = (tenant_id is null))
);

create table workloads (
    id                    uuid primary key,
    tenant_id             uuid          not null references tenants (id),
    name                  text          not null check (length(name) between 1 and 200),
    model                 text          not null check (length(model) between 1 and 200),
    model_params_billion  numeric(10,3) not null check (model_params_billion > 0),
    gpu_model             text          not null,
    gpu_count             integer       not null check (gpu_count between 1 and 4096),
    region                text          not null,
    pue                   numeric(5,3)  check (pue >= 1 and pue < 3),
    created_at            timestamptz   not null,
    unique (tenant_id, name),
    unique (id, tenant_id)
);

-- telemetry module -------------------------------------------------------------------------------------------------
create table inference_requests (
    id             uuid primary key,
    tenant_id      uuid        not null references tenants (id),
    workload_id    uuid        not null,
    request_id     text        not null check (length(request_id) between 1 and 200),
    input_tokens   bigint      not null check (input_tokens >= 0),
    output_tokens  bigint      not null check (output_tokens >= 0),
    started_at     timestamptz not null,
    ended_at       timestamptz not null,
    source         text        not null,
    received_at    timestamptz not null,
    check (ended_at >= started_at),
    unique (tenant_id, request_id),
    unique (id, tenant_id),
    foreign key (workload_id, tenant_id) references workloads (id, tenant_id)
);
create index inference_requests_tenant_ended on inference_requests (tenant_id, ended_at);

-- GPU energy counter samples of a node (DCGM total-energy shape): input of measured accounting.
create table energy_measurements (
    id                  uuid primary key,
    tenant_id           uuid          not null references tenants (id),
    workload_id         uuid          not null,
    node_id             text          not null,
    gpu_index           integer       not null check (gpu_index >= 0),
    sampled_at          timestamptz   not null,
    energy_joules_total numeric(24,3) not null check (energy_joules_total >= 0),
    received_at         timestamptz   not null,
    unique (tenant_id, node_id, gpu_index, sampled_at),
    foreign key (workload_id, tenant_id) references workloads (id, tenant_id)
);

-- emissions module -------------------------------------------------------------------------------------------------
create table emission_factors (
    id                uuid primary key,
    provider          text          not null,
    region            text          not null,
    basis             text          not null check (basis in ('LOCATION', 'MARKET')),
    gco2e_per_kwh     numeric(12,4) not null check (gco2e_per_kwh >= 0),
    valid_from        timestamptz   not null,
    valid_to          timestamptz,
    dataset_version   text          not null,
    source            text          not null,
    source_reference  text          not null,
    check (valid_to is null or valid_to > valid_from),
    unique (region, basis, dataset_version, valid_from)
);

create table emission_records (
    id                       uuid primary key,
    tenant_id                uuid          not null,
    inference_request_id     uuid          not null,
    version                  integer       not null check (version >= 1),
    methodology_version      text          not null,
    energy_joules            numeric(20,6) not null check (energy_joules >= 0),
    energy_joules_low        numeric(20,6) not null check (energy_joules_low >= 0),
    energy_joules_high       numeric(20,6) not null,
    pue                      numeric(5,3)  not null check (pue >= 1),
    emission_factor_id       uuid          not null references emission_factors (id),
    co2e_grams_location      numeric(20,6) not null check (co2e_grams_location >= 0),
    co2e_grams_market        numeric(20,6) not null check (co2e_grams_market >= 0),
    co2e_grams_low           numeric(20,6) not null check (co2e_grams_low >= 0),
    co2e_grams_high          numeric(20,6) not null,
    calculated_at            timestamptz   not null,
    check (energy_joules_low <= energy_joules and energy_joules <= energy_joules_high),
    check (co2e_grams_low <= co2e_grams_location and co2e_grams_location <= co2e_grams_high),
    unique (inference_request_id, version),
    unique (id, tenant_id),
    foreign key (inference_request_id, tenant_id) references inference_requests (id, tenant_id)
);

-- billing module ---------------------------------------------------------------------------------------------------
create sequence invoice_numbers;

create table invoices (
    id            uuid primary key,
    tenant_id     uuid          not null references tenants (id),
    number        text          not null unique,
    period_start  date          not null,
    period_end    date          not null,
    status        text          not null check (status in ('OPEN', 'PAID')),
    currency      char(3)       not null,
    total_amount  numeric(19,4) not null check (total_amount >= 0),
    co2e_grams    numeric(20,6) not null check (co2e_grams >= 0),
    created_at    timestamptz   not null,
    paid_at       timestamptz,
    check (period_end > period_start),
    check ((status = 'PAID') = (paid_at is not null)),
    unique (tenant_id, period_start),
    unique (id, tenant_id)
);

create table invoice_lines (
    id                uuid primary key,
    invoice_id        uuid          not null,
    tenant_id         uuid          not null,
    workload_id       uuid          not null,
    description       text          not null,
    request_count     bigint        not null check (request_count >= 0),
    energy_joules     numeric(24,6) not null check (energy_joules >= 0),
    co2e_grams        numeric(20,6) not null check (co2e_grams >= 0),
    price_per_tonne   numeric(19,4) not null check (price_per_tonne >= 0),
    amount            numeric(19,4) not null check (amount >= 0),
    currency          char(3)       not null,
    foreign key (invoice_id, tenant_id) references invoices (id, tenant_id),
    foreign key (workload_id, tenant_id) references workloads (id, tenant_id)
);

-- Which emission record is billed on which line: an emission record is billed at most once.
create table invoice_line_emissions (
    invoice_line_id     uuid not null references invoice_lines (id),
    emission_record_id  uuid not null unique references emission_records (id),
    primary key (invoice_line_id, emission_record_id)
);

create table payments (
    id                  uuid primary key,
    invoice_id          uuid          not null,
    tenant_id           uuid          not null,
    provider            text          not null check (provider in ('OFFLINE', 'STRIPE')),
    provider_reference  text          not null,
    amount              numeric(19,4) not null check (amount >= 0),
    currency            char(3)       not null,
    received_at         timestamptz   not null,
    unique (tenant_id, provider, provider_reference),
    unique (invoice_id),
    foreign key (invoice_id, tenant_id) references invoices (id, tenant_id)
);

-- offsets module ---------------------------------------------------------------------------------------------------
-- Credits held by the platform operator. One credit = one tonne CO2e = one serial number.
create table offset_lots (
    id               uuid primary key,
    registry         text          not null check (registry in ('VERRA', 'GOLD_STANDARD', 'PURO_EARTH', 'OTHER')),
    project_id       text          not null,
    project_name     text          not null,
    kind             text          not null check (kind in ('REMOVAL', 'AVOIDANCE')),
    vintage          integer       not null check (vintage between 1990 and 2100),
    serial_prefix    text          not null,
    serial_first     bigint        not null check (serial_first >= 0),
    serial_last      bigint        not null,
    retired_tonnes   bigint        not null default 0,
    price_per_tonne  numeric(19,4) not null check (price_per_tonne >= 0),
    currency         char(3)       not null,
    created_at       timestamptz   not null,
    check (serial_last >= serial_first),
    check (retired_tonnes between 0 and serial_last - serial_first + 1),
    unique (serial_prefix, serial_first)
);

create table offset_retirements (
    id                      uuid primary key,
    lot_id                  uuid          not null references offset_lots (id),
    tenant_id               uuid          not null references tenants (id),
    invoice_id              uuid,
    serial_first            bigint        not null,
    serial_last             bigint        not null,
    co2e_grams              numeric(20,6) not null,
    registry_retirement_id  text          not null unique,
    beneficiary             text          not null,
    reason                  text          not null,
    retired_at              timestamptz   not null,
    check (serial_last >= serial_first),
    check (co2e_grams = (serial_last - serial_first + 1) * 1000000),
    unique (lot_id, serial_first),
    unique (lot_id, serial_last),
    foreign key (invoice_id, tenant_id) references invoices (id, tenant_id)
);

create table offset_allocations (
    id                  uuid primary key,
    retirement_id       uuid          not null references offset_retirements (id),
    emission_record_id  uuid          not null,
    tenant_id           uuid          not null,
    co2e_grams          numeric(20,6) not null check (co2e_grams > 0),
    allocated_at        timestamptz   not null,
    unique (retirement_id, emission_record_id),
    foreign key (emission_record_id, tenant_id) references emission_records (id, tenant_id)
);

-- No serial retired twice: a retirement's range must lie inside its lot and overlap no other retirement of the lot.
-- Sigma allocated <= retired per retirement, and no gram of an emission record allocated twice.
create function offsets_check_retirement() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from offset_lots l where l.id = new.lot_id
                   and new.serial_first >= l.serial_first and new.serial_last <= l.serial_last) then
        raise exception 'retired serials % - % lie outside lot %', new.serial_first, new.serial_last, new.lot_id
            using errcode = '23514';
    end if;
    if exists (select 1 from offset_retirements r where r.lot_id = new.lot_id and r.id <> new.id
               and r.serial_first <= new.serial_last and new.serial_first <= r.serial_last) then
        raise exception 'serials % - % of lot % are already retired', new.serial_first, new.serial_last, new.lot_id
            using errcode = '23505';
    end if;
    return new;
end $$;
create trigger offset_retirements_serials before insert or update on offset_retirements
    for each row execute function offsets_check_retirement();

create function offsets_check_allocation() returns trigger language plpgsql as $$
begin
    if (select coalesce(sum(a.co2e_grams), 0) from offset_allocations a where a.retirement_id = new.retirement_id)
       > (select r.co2e_grams from offset_retirements r where r.id = new.retirement_id) then
        raise exception 'allocations exceed the mass of retirement %', new.retirement_id using errcode = '23514';
    end if;
    if (select coalesce(sum(a.co2e_grams), 0) from offset_allocations a where a.emission_record_id = new.emission_record_id)
       > (select e.co2e_grams_location from emission_records e where e.id = new.emission_record_id) then
        raise exception 'allocations exceed the emissions of record %', new.emission_record_id using errcode = '23514';
    end if;
    return new;
end $$;
create constraint trigger offset_allocations_mass after insert or update on offset_allocations
    for each row execute function offsets_check_allocation();

-- receipts module --------------------------------------------------------------------------------------------------
create table receipts (
    id            uuid primary key,
    tenant_id     uuid        not null,
    invoice_id    uuid        not null unique,
    number        text        not null unique,
    pdf           bytea       not null,
    pdf_sha256    text        not null,
    manifest      jsonb       not null,
    issued_at     timestamptz not null,
    foreign key (invoice_id, tenant_id) references invoices (id, tenant_id)
);
