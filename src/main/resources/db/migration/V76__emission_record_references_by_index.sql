-- The emission record reference check of V75 (decision 0077) joined the statement's rows to inference_requests with
-- NOT EXISTS … OR NOT EXISTS …: an OR of sub-queries cannot become an anti-join, so the planner hashed the whole of
-- inference_requests for every insert statement (a sequential scan growing with every request ever stored, 57 ms per
-- batch of 1000 at 140,000 stored requests). One NOT EXISTS per reference is an anti-join: an index lookup per new
-- row, whatever the size of the table. Same guarantee, same error.
create or replace function check_emission_record_references() returns trigger language plpgsql as $$
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
