-- The operations endpoint (hookd --ops-endpoint): hookd's own notices go
-- there; the events applications post never do. One at most, which the
-- partial unique index enforces for every writer.
ALTER TABLE endpoints ADD COLUMN operations INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX endpoints_operations ON endpoints(operations) WHERE operations = 1;
