-- Measured mode: the node that served a request, GPU energy per node and window attributed to the requests served
-- there, the window's reconciliation (residual) and which requests were restated with measured energy.

alter table inference_requests
    add column node_id text check (node_id is null or length(node_id) between 1 and 200);
create index inference_requests_node on inference_requests (tenant_id, node_id, started_at) where node_id is not null;

create index energy_measurements_node_time on energy_measurements (tenant_id, node_id, sampled_at);

-- one row per (tenant, node, window): written once when the window is attributed, never updated
create table measurement_windows (
    id                              uuid primary key,
    tenant_id                       uuid          not null references tenants (id),
    node_id                         text          not null,
    window_start                    timestamptz   not null,
    window_end                      timestamptz   not null,
    idle_policy                     text          not null check (idle_policy in ('PRO_RATA', 'IDLE_CAPACITY')),
    -- seconds of the window covered by consecutive counter samples (summed over the node's GPUs)
    gpu_seconds_covered             numeric(20,6) not null check (gpu_seconds_covered >= 0),
    counter_resets                  integer       not null check (counter_resets >= 0),
    energy_joules_measured          numeric(24,6) not null check (energy_joules_measured >= 0),
    energy_joules_idle              numeric(24,6) not null check (energy_joules_idle >= 0),
    energy_joules_attributed        numeric(24,6) not null check (energy_joules_attributed >= 0),
    energy_joules_idle_capacity     numeric(24,6) not null check (energy_joules_idle_capacity >= 0),
    energy_joules_residual          numeric(24,6) not null,
    energy_joules_estimated         numeric(24,6) not null check (energy_joules_estimated >= 0),
    requests                        integer       not null check (requests >= 0),
    processed_at                    timestamptz   not null,
    check (window_end > window_start),
    check (energy_joules_idle <= energy_joules_measured),
    -- reconciliation: every measured joule is attributed, kept as idle capacity, or in the residual
    check (energy_joules_residual
           = energy_joules_measured - energy_joules_attributed - energy_joules_idle_capacity),
    unique (tenant_id, node_id, window_start),
    unique (id, tenant_id)
);

-- what each request received from each window
create table measured_attributions (
    window_id               uuid          not null,
    tenant_id               uuid          not null,
    inference_request_id    uuid          not null,
    weight_joules           numeric(24,6) not null check (weight_joules >= 0),
    energy_joules_busy      numeric(24,6) not null check (energy_joules_busy >= 0),
    energy_joules_idle      numeric(24,6) not null check (energy_joules_idle >= 0),
    energy_joules_time_rule numeric(24,6) not null check (energy_joules_time_rule >= 0),
    primary key (window_id, inference_request_id),
    foreign key (window_id, tenant_id) references measurement_windows (id, tenant_id),
    foreign key (inference_request_id, tenant_id) references inference_requests (id, tenant_id)
);
create index measured_attributions_request on measured_attributions (inference_request_id);

-- a request is restated with measured energy once: the emission record version that did it
create table measured_requests (
    inference_request_id  uuid        primary key,
    tenant_id             uuid        not null,
    emission_record_id    uuid        not null,
    windows               integer     not null check (windows >= 1),
    restated_at           timestamptz not null,
    foreign key (inference_request_id, tenant_id) references inference_requests (id, tenant_id),
    foreign key (emission_record_id, tenant_id) references emission_records (id, tenant_id)
);
