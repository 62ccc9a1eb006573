-- The longest request of each workload, kept per insert statement (decision 0080). The occupancy of a request counts
-- the workload's requests overlapping it: those that end at or after it starts and start at or before it ends. No
-- request lasts longer than its workload's longest, so every one of them ends at most that long after this one ends:
-- the index range on (workload_id, ended_at) is bounded on both sides, and a request that arrives late (after later
-- requests of its workload are stored) no longer reads every request stored since.
create table workload_request_spans (
    workload_id  uuid primary key,
    max_seconds  numeric not null check (max_seconds >= 0)
);

insert into workload_request_spans (workload_id, max_seconds)
select workload_id, max(extract(epoch from ended_at - started_at)) from inference_requests group by workload_id;

-- After each insert or update of requests: new workloads get their row (on conflict do nothing locks nothing), and a
-- row is updated only when the statement holds a longer request, one at a time in workload order. A statement that
-- raises nothing (the steady state) takes no row lock, and two that raise the same rows take them in the same order.
create function keep_workload_request_spans() returns trigger language plpgsql as $$
declare
    s record;
begin
    insert into workload_request_spans (workload_id, max_seconds)
    select n.workload_id, max(extract(epoch from n.ended_at - n.started_at)) from new_rows n
     group by n.workload_id order by n.workload_id
        on conflict (workload_id) do nothing;
    for s in select n.workload_id, n.seconds
               from (select workload_id, max(extract(epoch from ended_at - started_at)) as seconds
                       from new_rows group by workload_id) n
               join workload_request_spans w on w.workload_id = n.workload_id
              where w.max_seconds < n.seconds
              order by n.workload_id loop
        update workload_request_spans set max_seconds = s.seconds
         where workload_id = s.workload_id and max_seconds < s.seconds;
    end loop;
    return null;
end $$;
create trigger inference_requests_spans_on_insert after insert on inference_requests
    referencing new table as new_rows for each statement execute function keep_workload_request_spans();
create trigger inference_requests_spans_on_update after update on inference_requests
    referencing new table as new_rows for each statement execute function keep_workload_request_spans();
