-- The claim walks the due index and reads next_attempt_at, endpoint_id and id
-- from it, but SQLite (3.40) still read each entry's table row to test
-- status = 0: a partial index's own WHERE does not make it covering for that
-- column. With status in the index the walk reads the index alone (profiled
-- under bench/run's backlog drain: sqlite3BtreeIndexMoveto 40 % -> 6 % of
-- hookd's CPU, and 5,983 vs 2,867 deliveries/s over a 1M-row table).
-- id before status: the claim resumes a walk where the last one stopped, by
-- the key (next_attempt_at, endpoint_id, id), which must be the index's order
-- for SQLite to seek to it (with the implicit primary-key suffix it sorted).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, endpoint_id, id, status) WHERE status = 0;
