-- Per-endpoint limits and health (circuit breaker, auto-disable), paused
-- deliveries of disabled endpoints, and a due index the claim can filter by
-- endpoint without reading the table.

-- Limits an operator sets per endpoint. NULL: no rate limit / hookd's default.
ALTER TABLE endpoints ADD COLUMN rate_limit_per_s REAL;
ALTER TABLE endpoints ADD COLUMN rate_limit_burst INTEGER;
ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER;

-- Health, written by the dispatcher when it changes (never on the success path
-- of a healthy endpoint). failing_since: the first failure after the last
-- success; the breaker is open while circuit_open_until is in the future.
ALTER TABLE endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;
ALTER TABLE endpoints ADD COLUMN circuit_open_until INTEGER NOT NULL DEFAULT 0;

-- status 4 = paused: pending, but its endpoint is disabled. Paused rows stay out
-- of the due index, so a disabled endpoint's backlog costs the claim nothing;
-- enabling the endpoint makes them pending again, so nothing queued is lost.
UPDATE deliveries SET status = 4
WHERE status = 0 AND endpoint_id IN (SELECT id FROM endpoints WHERE disabled = 1);

-- Whatever path makes a delivery pending (a retry, a released claim, an expired
-- lease), it must not become due while its endpoint is disabled. One trigger
-- keeps that true for every writer instead of a condition in each statement.
CREATE TRIGGER deliveries_pause_when_disabled
AFTER UPDATE OF status ON deliveries
WHEN NEW.status = 0
  AND EXISTS (SELECT 1 FROM endpoints WHERE id = NEW.endpoint_id AND disabled = 1)
BEGIN
  UPDATE deliveries SET status = 4 WHERE id = NEW.id;
END;

-- endpoint_id in the due index: the claim skips endpoints that are at their
-- limit by reading the index alone.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, endpoint_id) WHERE status = 0;

-- Retention walks succeeded and failed deliveries by age (two indexes because
-- the two are kept for different times).
CREATE INDEX deliveries_succeeded_by_age ON deliveries(updated_at) WHERE status = 2;
CREATE INDEX deliveries_failed_by_age ON deliveries(updated_at) WHERE status = 3;
