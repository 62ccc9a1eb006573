-- Dense leaf indexes, checked once per statement instead of once per row: an append inserts all its leaves with one
-- statement, and the new leaves together must be the next indexes of the log, without gaps (decision 0076).
drop trigger log_leaves_dense on log_leaves;
drop function log_check_leaf_index();

-- "nothing above the new leaves" is read as the log's highest index (an index-only read of one entry): an EXISTS
-- (… where leaf_index > hi) got a sequential scan of the whole log in the function's generic plan (decision 0078)
create function log_check_leaf_indexes() returns trigger language plpgsql as $$
declare
    lo bigint;
    hi bigint;
    n bigint;
    before_lo bigint;
    top bigint;
begin
    select min(leaf_index), max(leaf_index), count(*) into lo, hi, n from new_leaves;
    if n = 0 then
        return null;
    end if;
    select max(leaf_index) into before_lo from log_leaves where leaf_index < lo;
    select max(leaf_index) into top from log_leaves;
    if hi - lo + 1 <> n or lo <> coalesce(before_lo + 1, 0) or top <> hi then
        raise exception 'leaf indexes % to % are not the next indexes of the log', lo, hi using errcode = '23514';
    end if;
    return null;
end $$;
create trigger log_leaves_dense after insert on log_leaves referencing new table as new_leaves
    for each statement execute function log_check_leaf_indexes();
