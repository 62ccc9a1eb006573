-- API keys: scopes, rotation with overlap, last use.
alter table api_keys add column scopes text[] not null default '{}';
alter table api_keys add column expires_at timestamptz;
alter table api_keys add column last_used_at timestamptz;
update api_keys set scopes = case role when 'OPERATOR' then '{operator}'::text[]
                                       else '{ingest,read,billing-admin}'::text[] end;
alter table api_keys alter column scopes drop default;
alter table api_keys add constraint api_keys_scopes check (
    cardinality(scopes) >= 1
    and case role when 'OPERATOR' then scopes = '{operator}'::text[]
                  else scopes <@ '{ingest,read,billing-admin}'::text[] end);
create index api_keys_tenant_created on api_keys (tenant_id, created_at, id);

-- Idempotency-Key on creating POSTs: one row per (owner, key); the first response is kept for replays.
create table idempotency_records (
    owner           text        not null,
    idempotency_key text        not null check (length(idempotency_key) between 1 and 255),
    request_sha256  bytea       not null,
    status          integer,
    content_type    text,
    response_body   bytea,
    created_at      timestamptz not null,
    completed_at    timestamptz,
    primary key (owner, idempotency_key),
    check ((status is null) = (completed_at is null))
);

-- Administrative actions: who (key prefix), what, when, from where. Append-only.
create table audit_events (
    id              uuid primary key,
    occurred_at     timestamptz not null,
    actor_role      text        not null check (actor_role in ('OPERATOR', 'TENANT')),
    actor_key_prefix text       not null,
    actor_tenant_id uuid,
    action          text        not null,
    target_type     text        not null,
    target_id       text        not null,
    remote_address  text
);
create index audit_events_occurred on audit_events (occurred_at desc, id desc);
