-- Allocations looked up by emission record: the inclusion proof of a request (its records' allocations), the
-- backward trace, and the per-record mass check of every inserted allocation. Without it each of these scans every
-- allocation, which at a period of 1,000,000 requests makes a proof cost a full table scan.
create index offset_allocations_record on offset_allocations (emission_record_id);
