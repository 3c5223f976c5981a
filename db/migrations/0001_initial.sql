-- The outbox schema. Times are Unix milliseconds (INTEGER). Ids are
-- time-sortable text ("ep_", "evt_", "dlv_" + ULID), so id order is creation
-- order and cursors are plain ids.

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL DEFAULT '[]',  -- JSON array of filters; [] = every type
  secret TEXT NOT NULL,                    -- whsec_...
  previous_secret TEXT,                    -- still signs until previous_secret_expires_at
  previous_secret_expires_at INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  body BLOB NOT NULL,                      -- the exact bytes every attempt sends
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per event x endpoint. status: 0 pending, 1 inflight, 2 succeeded, 3 failed.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,     -- every attempt ever made
  schedule_step INTEGER NOT NULL DEFAULT 0,-- attempts in the current run (a manual retry restarts it)
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_status_code INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Partial indexes keep the dispatcher's scans proportional to the work due,
-- not to the history kept.
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 0;
CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE status = 1;
CREATE INDEX deliveries_by_event ON deliveries(event_id);
CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, status);
CREATE INDEX deliveries_by_status ON deliveries(status, id);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  attempted_at INTEGER NOT NULL,
  status_code INTEGER,                     -- NULL when no HTTP response came back
  error TEXT NOT NULL DEFAULT '',          -- network error or reason; '' on a clean response
  latency_ms INTEGER NOT NULL,
  response_excerpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id);

CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  event_id TEXT NOT NULL,
  deliveries INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);

-- /readyz proves the database can take a write by committing to this row.
CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
INSERT INTO heartbeat(id, at) VALUES (1, 0);
