-- References on the ingest path checked once per statement instead of once per row (decision 0077).
-- A row-level foreign key check runs a query and takes a KEY SHARE lock on the referenced row for every inserted
-- row; on the ingest path every request, emission record and log leaf references the same few rows (its tenant,
-- workload and grid factor), so concurrent ingest transactions pile up multixact locks on them. The same guarantee:
-- every new or changed row's reference exists when the statement ends (checked over the statement's transition
-- table), and the referenced rows can never be deleted nor have their keys changed, so no concurrent transaction can
-- make a checked reference dangle.

alter table inference_requests drop constraint inference_requests_tenant_id_fkey;
alter table inference_requests drop constraint inference_requests_workload_id_tenant_id_fkey;
alter table emission_records drop constraint emission_records_emission_factor_id_fkey;
alter table emission_records drop constraint emission_records_marginal_signal_id_fkey;
alter table emission_records drop constraint emission_records_inference_request_id_tenant_id_fkey;
alter table log_leaves drop constraint log_leaves_tenant_id_fkey;

-- the referenced rows: never deleted, keys never changed
create function refuse_referenced_change() returns trigger language plpgsql as $$
begin
    raise exception '% rows are referenced by metered data and are never deleted nor re-keyed', tg_table_name
        using errcode = '23503';
end $$;
create trigger tenants_never_deleted before delete on tenants
    for each row execute function refuse_referenced_change();
create trigger tenants_key_fixed before update of id on tenants
    for each row when (new.id is distinct from old.id) execute function refuse_referenced_change();
create trigger workloads_never_deleted before delete on workloads
    for each row execute function refuse_referenced_change();
create trigger workloads_key_fixed before update of id, tenant_id on workloads
    for each row when (new.id is distinct from old.id or new.tenant_id is distinct from old.tenant_id)
    execute function refuse_referenced_change();
create trigger emission_factors_never_deleted before delete on emission_factors
    for each row execute function refuse_referenced_change();
create trigger emission_factors_key_fixed before update of id on emission_factors
    for each row when (new.id is distinct from old.id) execute function refuse_referenced_change();
create trigger marginal_signals_never_deleted before delete on marginal_signals
    for each row execute function refuse_referenced_change();
create trigger marginal_signals_key_fixed before update of id on marginal_signals
    for each row when (new.id is distinct from old.id) execute function refuse_referenced_change();
create trigger inference_requests_key_fixed before update of id, tenant_id on inference_requests
    for each row when (new.id is distinct from old.id or new.tenant_id is distinct from old.tenant_id)
    execute function refuse_referenced_change();
-- a request with emission records is never deleted (its records reference it)
create function refuse_referenced_request_delete() returns trigger language plpgsql as $$
begin
    if exists (select 1 from emission_records e where e.inference_request_id = old.id) then
        raise exception 'inference request % is referenced by its emission records and cannot be deleted', old.id
            using errcode = '23503';
    end if;
    return old;
end $$;
create trigger inference_requests_referenced before delete on inference_requests
    for each row execute function refuse_referenced_request_delete();

-- the references of new and changed rows, one query per statement
create function check_request_references() returns trigger language plpgsql as $$
declare
    bad record;
begin
    select n.id, n.workload_id, n.tenant_id into bad from new_rows n
     where not exists (select 1 from workloads w where w.id = n.workload_id and w.tenant_id = n.tenant_id)
     limit 1;
    if found then
        raise exception 'inference request % references workload % of tenant %, which does not exist',
            bad.id, bad.workload_id, bad.tenant_id using errcode = '23503';
    end if;
    return null;
end $$;
create trigger inference_requests_references_on_insert after insert on inference_requests
    referencing new table as new_rows for each statement execute function check_request_references();
create trigger inference_requests_references_on_update after update on inference_requests
    referencing new table as new_rows for each statement execute function check_request_references();

-- one NOT EXISTS per reference, each an anti-join (an index lookup per new row): an OR of NOT EXISTS cannot become
-- an anti-join, and the planner then hashed the whole of inference_requests for every statement (decision 0078)
create function check_emission_record_references() returns trigger language plpgsql as $$
declare
    bad record;
begin
    select n.id, n.inference_request_id, n.emission_factor_id, n.marginal_signal_id into bad from new_rows n
     where not exists (select 1 from inference_requests r
                        where r.id = n.inference_request_id and r.tenant_id = n.tenant_id)
     limit 1;
    if not found then
        select n.id, n.inference_request_id, n.emission_factor_id, n.marginal_signal_id into bad from new_rows n
         where not exists (select 1 from emission_factors f where f.id = n.emission_factor_id)
         limit 1;
    end if;
    if not found then
        select n.id, n.inference_request_id, n.emission_factor_id, n.marginal_signal_id into bad from new_rows n
         where n.marginal_signal_id is not null
           and not exists (select 1 from marginal_signals m where m.id = n.marginal_signal_id)
         limit 1;
    end if;
    if found then
        raise exception 'emission record % references a request (%), grid factor (%) or marginal signal (%) of its '
            'tenant that does not exist', bad.id, bad.inference_request_id, bad.emission_factor_id,
            bad.marginal_signal_id using errcode = '23503';
    end if;
    return null;
end $$;
create trigger emission_records_references_on_insert after insert on emission_records
    referencing new table as new_rows for each statement execute function check_emission_record_references();
create trigger emission_records_references_on_update after update on emission_records
    referencing new table as new_rows for each statement execute function check_emission_record_references();

create function check_log_leaf_references() returns trigger language plpgsql as $$
declare
    bad record;
begin
    select n.leaf_index, n.tenant_id into bad from new_rows n
     where n.tenant_id is not null and not exists (select 1 from tenants t where t.id = n.tenant_id)
     limit 1;
    if found then
        raise exception 'log leaf % references tenant %, which does not exist', bad.leaf_index, bad.tenant_id
            using errcode = '23503';
    end if;
    return null;
end $$;
create trigger log_leaves_references_on_insert after insert on log_leaves
    referencing new table as new_rows for each statement execute function check_log_leaf_references();
