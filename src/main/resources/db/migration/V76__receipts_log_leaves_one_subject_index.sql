-- A leaf is found by what it is about through the unique (kind, subject_id) index; the second index on
-- (tenant_id, subject_id) served one query that now names the kind, and cost every append a random insert into a
-- second large index (decision 0078).
drop index log_leaves_tenant_subject;
