-- Provenance of requests derived from OpenTelemetry spans: the span's trace and span ids (lowercase hex).
alter table inference_requests
    add column trace_id text check (trace_id ~ '^[0-9a-f]{32}$'),
    add column span_id  text check (span_id ~ '^[0-9a-f]{16}$'),
    add check ((trace_id is null) = (span_id is null));
