-- billing module: pricing policies, billing periods, invoice state machine, Stripe mapping, webhook inbox ---------

-- One pricing and billing-period policy per tenant. A tenant without a row is billed FIXED at its price per tonne,
-- monthly, on the central estimate.
create table billing_policies (
    tenant_id            uuid primary key references tenants (id),
    pricing_mode         text          not null check (pricing_mode in ('FIXED', 'PASS_THROUGH')),
    price_per_tonne      numeric(19,4) check (price_per_tonne >= 0 and price_per_tonne < 1000000000),
    margin_percent       numeric(7,4)  not null default 0 check (margin_percent >= 0 and margin_percent <= 1000),
    fee_per_invoice      numeric(19,4) not null default 0 check (fee_per_invoice >= 0 and fee_per_invoice < 1000000000),
    currency             char(3)       not null check (currency ~ '^[A-Z]{3}$'),
    uncertainty          text          not null check (uncertainty in ('CENTRAL', 'UPPER_BOUND')),
    period_days          integer       check (period_days between 1 and 366),
    period_anchor        date,
    updated_at           timestamptz   not null,
    check ((pricing_mode = 'FIXED') = (price_per_tonne is not null)),
    check ((period_days is null) = (period_anchor is null))
);

-- The invoice lifecycle (see Invoice.Status): transitions are guarded in code and recorded once each below.
alter table invoices drop constraint invoices_status_check;
alter table invoices drop constraint invoices_check1;
alter table invoices drop constraint invoices_total_amount_check;
alter table invoices drop constraint invoices_co2e_grams_check;
alter table invoices add constraint invoices_status_check check (status in ('OPEN', 'FINALIZED', 'PAYMENT_FAILED',
    'PAID', 'DISPUTED', 'VOID', 'UNCOLLECTIBLE', 'REFUNDED', 'CHARGED_BACK'));
alter table invoices add constraint invoices_paid_at_check
    check ((status in ('PAID', 'DISPUTED', 'REFUNDED', 'CHARGED_BACK')) <= (paid_at is not null));
alter table invoices add column pricing_mode text not null default 'FIXED'
    check (pricing_mode in ('FIXED', 'PASS_THROUGH'));
alter table invoices add column uncertainty text not null default 'CENTRAL'
    check (uncertainty in ('CENTRAL', 'UPPER_BOUND'));
alter table invoices add column stripe_invoice_id text unique;
alter table invoices add column stripe_event_created_at timestamptz;
alter table invoices add column updated_at timestamptz;

create table invoice_transitions (
    id           uuid primary key,
    invoice_id   uuid        not null references invoices (id),
    from_status  text        not null,
    to_status    text        not null,
    cause        text        not null,
    at           timestamptz not null,
    seq          bigint      generated always as identity,
    unique (invoice_id, from_status, to_status)
);

-- Lines: usage per workload and model, a fee per invoice, adjustments (restated up) and credit notes (restated down).
alter table invoice_lines add column kind text not null default 'USAGE'
    check (kind in ('USAGE', 'FEE', 'ADJUSTMENT', 'CREDIT_NOTE'));
alter table invoice_lines add column model text;
alter table invoice_lines alter column workload_id drop not null;
alter table invoice_lines drop constraint invoice_lines_co2e_grams_check;
alter table invoice_lines drop constraint invoice_lines_energy_joules_check;
alter table invoice_lines drop constraint invoice_lines_amount_check;
alter table invoice_lines add constraint invoice_lines_sign_check check (case kind
    when 'CREDIT_NOTE' then co2e_grams <= 0 and amount <= 0
    else co2e_grams >= 0 and amount >= 0 and energy_joules >= 0 end);
alter table invoice_lines add constraint invoice_lines_workload_check check ((kind = 'FEE') = (workload_id is null));

-- What each billed emission record added to its line: its full mass, or for a restated record the difference to
-- the version billed before.
alter table invoice_line_emissions add column billed_co2e_grams numeric(20,6);

alter table payments add column stripe_payment_intent_id text unique;

create table payment_reversals (
    id                  uuid primary key,
    payment_id          uuid          not null unique references payments (id),
    tenant_id           uuid          not null,
    kind                text          not null check (kind in ('REFUND', 'CHARGEBACK')),
    provider_reference  text          not null,
    amount              numeric(19,4) not null check (amount >= 0),
    reversed_at         timestamptz   not null
);

create table stripe_customers (
    tenant_id           uuid primary key references tenants (id),
    stripe_customer_id  text        not null unique,
    created_at          timestamptz not null
);

-- Webhook inbox: one row per Stripe event id, so a redelivery is acknowledged and never processed twice.
create table stripe_events (
    event_id         text primary key,
    type             text        not null,
    object_id        text,
    created_at       timestamptz not null,
    payload          text        not null,
    status           text        not null check (status in ('PENDING', 'PROCESSED', 'IGNORED', 'FAILED')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz,
    last_error       text,
    received_at      timestamptz not null,
    processed_at     timestamptz
);
create index stripe_events_due on stripe_events (next_attempt_at) where status = 'PENDING';

-- offsets module: allocations are reversed by compensating rows (negative mass, pointing at what they reverse) ----
alter table offset_allocations drop constraint offset_allocations_co2e_grams_check;
alter table offset_allocations drop constraint offset_allocations_retirement_id_emission_record_id_key;
alter table offset_allocations add column reverses_id uuid unique references offset_allocations (id);
alter table offset_allocations add column reason text;
alter table offset_allocations add constraint offset_allocations_sign_check
    check ((reverses_id is null) = (co2e_grams > 0) and co2e_grams <> 0);
create unique index offset_allocations_once on offset_allocations (retirement_id, emission_record_id)
    where reverses_id is null;

create function offsets_check_reversal() returns trigger language plpgsql as $$
begin
    if new.reverses_id is not null and not exists (select 1 from offset_allocations o where o.id = new.reverses_id
            and o.reverses_id is null and o.retirement_id = new.retirement_id
            and o.emission_record_id = new.emission_record_id and o.co2e_grams = -new.co2e_grams) then
        raise exception 'allocation % reverses nothing it matches', new.id using errcode = '23514';
    end if;
    return new;
end $$;
create trigger offset_allocations_reversal before insert or update on offset_allocations
    for each row execute function offsets_check_reversal();

create table climate_order_events (
    event_id        text primary key,
    type            text        not null,
    order_id        text        not null,
    order_status    text,
    received_at     timestamptz not null
);

-- receipts module: a receipt whose payment was reversed is revoked, never deleted -----------------------------------
alter table receipts add column revoked_at timestamptz;
alter table receipts add column revocation_reason text;
alter table receipts add constraint receipts_revocation_check
    check ((revoked_at is null) = (revocation_reason is null));
