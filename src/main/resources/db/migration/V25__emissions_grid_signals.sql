-- Grid signals from provider APIs: the signal type of every factor (average intensity, lifecycle or direct) pinned on
-- each record, and marginal signals (WattTime MOER) stored as their own series and their own figure on each record,
-- never mixed into the location-based one.

alter table emission_factors
    add column signal_type text not null default 'average'
        check (signal_type in ('average', 'average-lifecycle', 'average-direct'));

alter table emission_records
    add column factor_signal_type text;

create table marginal_signals (
    id               uuid primary key,
    provider         text          not null,
    region           text          not null,
    zone             text          not null,
    signal_type      text          not null,
    point_time       timestamptz   not null,
    valid_to         timestamptz   not null,
    value            numeric(14,4) not null check (value >= 0),
    units            text          not null,
    gco2e_per_kwh    numeric(14,6) not null check (gco2e_per_kwh >= 0),
    model_version    text          not null,
    fetched_at       timestamptz   not null,
    check (valid_to > point_time),
    unique (region, signal_type, model_version, point_time)
);
create index marginal_signals_lookup on marginal_signals (region, point_time desc);

alter table emission_records
    add column marginal_signal_id  uuid references marginal_signals (id),
    add column co2e_grams_marginal numeric(20,6) check (co2e_grams_marginal >= 0),
    add check ((marginal_signal_id is null) = (co2e_grams_marginal is null));
