-- Contractual instruments (PPAs, energy attribute certificates, green tariffs) per tenant, region and period, for
-- market-based CO2e; the coverage applied is stored on each emission record.

create table energy_attribute_instruments (
    id             uuid primary key,
    tenant_id      uuid          not null references tenants (id),
    region         text          not null,
    period_start   date          not null,
    period_end     date          not null,
    coverage       numeric(5,4)  not null check (coverage > 0 and coverage <= 1),
    gco2e_per_kwh  numeric(12,4) not null check (gco2e_per_kwh >= 0),
    kind           text          not null check (kind in ('PPA', 'EAC', 'GREEN_TARIFF')),
    reference      text          not null check (length(reference) between 1 and 300),
    created_at     timestamptz   not null,
    check (period_end > period_start)
);
create index energy_attribute_instruments_lookup on energy_attribute_instruments (tenant_id, region, period_start);

alter table emission_records
    add column market_coverage       numeric(5,4) check (market_coverage >= 0 and market_coverage <= 1),
    add column market_residual_basis text check (market_residual_basis in ('RESIDUAL_MIX', 'LOCATION'));
