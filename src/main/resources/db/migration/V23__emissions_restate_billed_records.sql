-- Restatements now also restate records whose request was already billed: billing bills the difference of the new
-- version on the next close (an ADJUSTMENT or CREDIT_NOTE line), so nothing needs to be skipped any more.
alter table emission_restatements rename column records_billed_skipped to records_billed_restated;
