-- When a workload started serving: metered requests may not start before it. Defaults to its registration.
alter table workloads add column serving_since timestamptz;
update workloads set serving_since = created_at;
alter table workloads alter column serving_since set not null;
alter table workloads add constraint workloads_serving_since_not_after_registration check (serving_since <= created_at);
