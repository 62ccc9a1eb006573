-- offsets module: the product catalog (a registry project's credits), lots tied to it, serial blocks as issued -------

create extension if not exists btree_gist;

-- An offset product: the credits of one registry project, with what the platform knows about the project and, when
-- set, the list price per tonne that tenants priced "by product" are billed at.
create table offset_products (
    id                   uuid primary key,
    registry             text          not null check (registry in ('VERRA', 'GOLD_STANDARD', 'PURO_EARTH', 'OTHER')),
    registry_project_id  text          not null check (length(registry_project_id) between 1 and 100),
    name                 text          not null check (length(name) between 1 and 300),
    kind                 text          not null check (kind in ('REMOVAL', 'AVOIDANCE')),
    methodology          text          check (length(methodology) between 1 and 200),
    country              char(2)       check (country ~ '^[A-Z]{2}$'),
    price_per_tonne      numeric(19,4) check (price_per_tonne >= 0 and price_per_tonne < 1000000000),
    currency             char(3)       check (currency ~ '^[A-Z]{3}$'),
    created_at           timestamptz   not null,
    unique (registry, registry_project_id),
    check ((price_per_tonne is null) = (currency is null))
);

-- Lots recorded before the catalog existed become products of their own project (methodology and country unknown).
insert into offset_products (id, registry, registry_project_id, name, kind, created_at)
select gen_random_uuid(), registry, project_id, min(project_name), min(kind), min(created_at)
  from offset_lots group by registry, project_id;

alter table offset_lots add column product_id uuid references offset_products (id);
update offset_lots l set product_id = p.id
  from offset_products p where p.registry = l.registry and p.registry_project_id = l.project_id;
alter table offset_lots alter column product_id set not null;
-- the serial block as the registry issued it (Verra VCU block, Puro certificate id), when the lot was given one
alter table offset_lots add column serial_block text check (length(serial_block) <= 300);
create index offset_lots_product on offset_lots (product_id);

-- No serial held twice: the ranges of one serial space never overlap (the application's check made structural).
alter table offset_lots add constraint offset_lots_serials_disjoint
    exclude using gist (serial_prefix with =, int8range(serial_first, serial_last, '[]') with &&);
