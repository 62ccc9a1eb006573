-- offsets module: products served by a provider (registry inventory or Stripe Climate), Stripe Climate orders and
-- the grams of emission records they are earmarked for, pending until delivered -------------------------------------

alter table offset_products add column provider text not null default 'REGISTRY_INVENTORY'
    check (provider in ('REGISTRY_INVENTORY', 'STRIPE_CLIMATE'));
-- Stripe's climate product id (climsku_...), set exactly for Stripe Climate products
alter table offset_products add column stripe_product_id text unique
    check (length(stripe_product_id) between 1 and 100);
alter table offset_products add column delivery_year integer check (delivery_year between 2000 and 2200);
alter table offset_products add constraint offset_products_stripe_id_check
    check ((provider = 'STRIPE_CLIMATE') = (stripe_product_id is not null));

-- One Stripe Climate order. Mass in grams (metric_tons * 1e6 exactly), amounts in the currency's minor units as
-- Stripe states them. DELIVERED and CANCELED are final.
create table climate_orders (
    id                      uuid primary key,
    tenant_id               uuid          not null references tenants (id),
    product_id              uuid          not null references offset_products (id),
    stripe_order_id         text          not null unique check (length(stripe_order_id) between 1 and 100),
    status                  text          not null check (status in ('OPEN', 'AWAITING_FUNDS', 'CONFIRMED',
                                                                     'DELIVERED', 'CANCELED')),
    co2e_grams              numeric(20,6) not null check (co2e_grams > 0),
    amount_total            bigint        check (amount_total >= 0),
    currency                char(3)       check (currency ~ '^[A-Z]{3}$'),
    beneficiary             text          not null check (length(beneficiary) between 1 and 300),
    expected_delivery_year  integer       check (expected_delivery_year between 2000 and 2200),
    delayed_at              timestamptz,
    product_substituted_at  timestamptz,
    delivered_at            timestamptz,
    canceled_at             timestamptz,
    cancellation_reason     text,
    stripe_event_created_at timestamptz,
    created_at              timestamptz   not null,
    updated_at              timestamptz   not null,
    check ((status = 'DELIVERED') = (delivered_at is not null)),
    check ((status = 'CANCELED') = (canceled_at is not null)),
    unique (id, tenant_id)
);
create index climate_orders_tenant on climate_orders (tenant_id, created_at);

-- What a delivered order retired, one row per Stripe delivery_details entry (registry link, supplier, tonnes).
create table climate_order_deliveries (
    order_id      uuid          not null references climate_orders (id),
    position      integer       not null check (position >= 0),
    co2e_grams    numeric(20,6) not null check (co2e_grams >= 0),
    registry_url  text          check (length(registry_url) <= 2000),
    supplier      text          check (length(supplier) <= 300),
    delivered_at  timestamptz   not null,
    primary key (order_id, position)
);

-- The grams of one emission record an order is for: PENDING while ordered, RETIRED when delivered, RELEASED when
-- canceled (back to uncovered). A settled earmark never changes again.
create table climate_order_earmarks (
    order_id            uuid          not null,
    emission_record_id  uuid          not null,
    tenant_id           uuid          not null,
    co2e_grams          numeric(20,6) not null check (co2e_grams > 0),
    status              text          not null check (status in ('PENDING', 'RETIRED', 'RELEASED')),
    created_at          timestamptz   not null,
    settled_at          timestamptz,
    check ((status = 'PENDING') = (settled_at is null)),
    primary key (order_id, emission_record_id),
    foreign key (order_id, tenant_id) references climate_orders (id, tenant_id),
    foreign key (emission_record_id, tenant_id) references emission_records (id, tenant_id)
);
create index climate_order_earmarks_record on climate_order_earmarks (emission_record_id);

-- Flags on orders a tenant should see: delayed, product substituted, canceled (its earmarks released).
create table climate_order_notices (
    order_id    uuid        not null references climate_orders (id),
    kind        text        not null check (kind in ('DELAYED', 'PRODUCT_SUBSTITUTED', 'CANCELED')),
    detail      text        not null check (length(detail) between 1 and 1000),
    created_at  timestamptz not null,
    primary key (order_id, kind)
);

-- No gram of an emission record both allocated from a retirement and earmarked (pending or retired) by an order, nor
-- earmarked twice; an order's earmarks never exceed its mass; a settled earmark and a final order never move again.
create or replace function offsets_record_claimed(record_id uuid) returns numeric language sql stable as $$
    select coalesce((select sum(a.co2e_grams) from offset_allocations a where a.emission_record_id = record_id), 0)
         + coalesce((select sum(m.co2e_grams) from climate_order_earmarks m
                      where m.emission_record_id = record_id and m.status <> 'RELEASED'), 0)
$$;

create or replace function offsets_check_allocation() returns trigger language plpgsql as $$
begin
    perform 1 from offset_retirements r where r.id = new.retirement_id for no key update;
    perform 1 from emission_records e where e.id = new.emission_record_id for no key update;
    if (select coalesce(sum(a.co2e_grams), 0) from offset_allocations a where a.retirement_id = new.retirement_id)
       > (select r.co2e_grams from offset_retirements r where r.id = new.retirement_id) then
        raise exception 'allocations exceed the mass of retirement %', new.retirement_id using errcode = '23514';
    end if;
    if offsets_record_claimed(new.emission_record_id)
       > (select e.co2e_grams_location from emission_records e where e.id = new.emission_record_id) then
        raise exception 'allocations exceed the emissions of record %', new.emission_record_id using errcode = '23514';
    end if;
    return new;
end $$;

create function offsets_check_earmark() returns trigger language plpgsql as $$
begin
    perform 1 from climate_orders o where o.id = new.order_id for no key update;
    perform 1 from emission_records e where e.id = new.emission_record_id for no key update;
    if (select coalesce(sum(m.co2e_grams), 0) from climate_order_earmarks m
         where m.order_id = new.order_id and m.status <> 'RELEASED')
       > (select o.co2e_grams from climate_orders o where o.id = new.order_id) then
        raise exception 'earmarks exceed the mass of climate order %', new.order_id using errcode = '23514';
    end if;
    if offsets_record_claimed(new.emission_record_id)
       > (select e.co2e_grams_location from emission_records e where e.id = new.emission_record_id) then
        raise exception 'earmarks exceed the emissions of record %', new.emission_record_id using errcode = '23514';
    end if;
    return new;
end $$;
create constraint trigger climate_order_earmarks_mass after insert or update on climate_order_earmarks
    for each row execute function offsets_check_earmark();

create function offsets_check_earmark_transition() returns trigger language plpgsql as $$
begin
    if old.status <> 'PENDING' then
        raise exception 'earmark of order % on record % is already %', old.order_id, old.emission_record_id,
            old.status using errcode = '23514';
    end if;
    if new.co2e_grams <> old.co2e_grams or new.emission_record_id <> old.emission_record_id
       or new.order_id <> old.order_id then
        raise exception 'an earmark changes only its status' using errcode = '23514';
    end if;
    return new;
end $$;
create trigger climate_order_earmarks_transition before update on climate_order_earmarks
    for each row execute function offsets_check_earmark_transition();

create function offsets_check_order_transition() returns trigger language plpgsql as $$
begin
    if old.status in ('DELIVERED', 'CANCELED') and new.status <> old.status then
        raise exception 'climate order % is already %', old.id, old.status using errcode = '23514';
    end if;
    return new;
end $$;
create trigger climate_orders_transition before update on climate_orders
    for each row execute function offsets_check_order_transition();
