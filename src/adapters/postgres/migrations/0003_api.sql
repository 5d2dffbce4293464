-- streamwatch schema, version 3: what the HTTP API's reads need. Never edit once applied.

-- The metrics listing is newest first, and /api/stats and the live counters read the newest
-- metric and time ranges across services: a btree on time (0001 has only a BRIN, which can
-- neither order nor find the maximum without reading every block range).
CREATE INDEX metrics_ts_idx ON metrics (ts DESC);

-- The live stream (/api/stream) reads the anomalies changed since a moment, every second or so.
CREATE INDEX anomalies_updated_at_idx ON anomalies (updated_at);
