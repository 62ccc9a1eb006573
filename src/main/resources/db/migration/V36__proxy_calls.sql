-- Every call the metering proxy forwarded, with the upstream's status and latency. Calls with billable usage are
-- also inference_requests (source 'proxy', same tenant and request id); failed, rejected or aborted calls are only
-- here. (tenant_id, request_id) is the identity: a replayed spool record is stored once.
create table proxy_calls (
    id                       uuid        primary key,
    tenant_id                uuid        not null references tenants (id),
    request_id               text        not null,
    route                    text        not null,
    workload_id              uuid,
    method                   text        not null,
    path                     text        not null,
    model                    text,
    streamed                 boolean     not null,
    upstream_status          integer     not null check (upstream_status between 0 and 599),
    upstream_latency_micros  bigint      not null check (upstream_latency_micros >= 0),
    duration_micros          bigint      not null check (duration_micros >= upstream_latency_micros),
    outcome                  text        not null
        check (outcome in ('METERED', 'FAILED', 'UPSTREAM_ABORTED', 'CLIENT_CANCELLED', 'REJECTED')),
    usage_source             text        not null check (usage_source in ('REPORTED', 'COUNTED', 'NONE')),
    input_tokens             bigint      check (input_tokens >= 0),
    output_tokens            bigint      check (output_tokens >= 0),
    reason                   text,
    started_at               timestamptz not null,
    ended_at                 timestamptz not null check (ended_at >= started_at),
    recorded_at              timestamptz not null,
    unique (tenant_id, request_id),
    -- upstream_status 0: no response at all (unreachable, timed out)
    check (outcome <> 'METERED' or (upstream_status between 200 and 299 and usage_source <> 'NONE'
                                    and input_tokens is not null and output_tokens is not null))
);
create index proxy_calls_tenant_started on proxy_calls (tenant_id, started_at);
