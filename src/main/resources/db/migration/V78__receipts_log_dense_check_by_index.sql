-- The dense-index check of V74 asked "is there a leaf above the new ones" with EXISTS (… where leaf_index > hi): in the
-- function's generic plan the planner expected a third of the table to match and chose a sequential scan that, finding
-- nothing, read the whole log on every append (170 ms per append at 800,000 leaves). The highest index of the log
-- (an index-only read of one entry) must be the highest new one: the same condition, read from the index
-- whatever the size of the log (decision 0078).
create or replace function log_check_leaf_indexes() returns trigger language plpgsql as $$
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
