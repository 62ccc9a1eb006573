-- offsets module: what a tenant's emissions may be covered by, and ledger checks that hold under concurrency ---------

-- A tenant without a row: any lot, oldest vintage first (the behaviour before V61).
create table offset_allocation_policies (
    tenant_id         uuid primary key references tenants (id),
    removal_only      boolean     not null,
    min_vintage       integer     check (min_vintage between 1990 and 2100),
    registries        text[]      check (cardinality(registries) between 1 and 4
                                         and registries <@ array['VERRA', 'GOLD_STANDARD', 'PURO_EARTH', 'OTHER']),
    product_id        uuid        references offset_products (id),
    retirement_order  text        not null check (retirement_order in ('OLDEST_VINTAGE_FIRST', 'NEWEST_VINTAGE_FIRST',
                                                                         'LOWEST_PRICE_FIRST')),
    updated_at        timestamptz not null
);

-- Retirements the operator records from a registry account name the registry's own retirement id; those made at
-- payment keep the generated one. Either way the id is unique (V1).
alter table offset_retirements add column source text not null default 'PAYMENT'
    check (source in ('PAYMENT', 'REGISTRY'));

-- The V1 checks summed allocations without a lock: two transactions allocating from the same retirement (or to the
-- same emission record) at once each saw only their own rows and could together exceed the mass. The check now
-- first locks the retirement and the emission record (FOR NO KEY UPDATE, so foreign-key checks are not blocked); a
-- concurrent allocation waits for the first to commit and its sums, taken after the lock, include the first's rows.
create or replace function offsets_check_allocation() returns trigger language plpgsql as $$
begin
    perform 1 from offset_retirements r where r.id = new.retirement_id for no key update;
    perform 1 from emission_records e where e.id = new.emission_record_id for no key update;
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

-- Likewise no serial retired twice under concurrency: lock the lot before looking for overlapping retirements.
create or replace function offsets_check_retirement() returns trigger language plpgsql as $$
begin
    perform 1 from offset_lots l where l.id = new.lot_id for no key update;
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
