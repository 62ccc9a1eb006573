-- Attribution runs find the nodes with samples in their lookback (decision 0079): an index on the sample time, so
-- that query reads the lookback's samples, not every sample ever stored.
create index energy_measurements_sampled_at on energy_measurements (sampled_at);
