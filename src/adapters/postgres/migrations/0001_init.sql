-- streamwatch schema, version 1. Never edit this file once applied anywhere: migrate() refuses to
-- start when an applied migration's checksum changed. Add 0002_*.sql instead.
-- Table and column names users query are a contract (docs/contract.md, "Tables users query").

-- Clean events. `event_id` is the identity (the message's event_id, else topic/partition/offset),
-- so a redelivered event is inserted once (ON CONFLICT DO NOTHING). `ts` is event time.
-- topic/partition/offset say where the event was read (full topic name, as on the broker).
-- No CHECK constraints on event columns: the cleaner validates, and a constraint failing here
-- would fail the whole batch and stop the partition instead of dead-lettering one record.
CREATE TABLE logs (
  event_id text PRIMARY KEY,
  ts timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  service text NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  user_id text,
  attributes jsonb NOT NULL DEFAULT '{}',
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL
);
-- The API's filters are time, level, service, or service and level, newest first. A big service
-- is served by logs_ts_idx with a filter, a small one (or a rare level of it) by the composite
-- index plus a sort of its few rows; a rare level across services needs its own index.
CREATE INDEX logs_ts_idx ON logs (ts DESC);
CREATE INDEX logs_level_ts_idx ON logs (level, ts DESC);
CREATE INDEX logs_service_level_ts_idx ON logs (service, level, ts DESC);

CREATE TABLE metrics (
  event_id text PRIMARY KEY,
  ts timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  service text NOT NULL,
  cpu double precision NOT NULL,
  latency_ms double precision NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}',
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL
);
CREATE INDEX metrics_service_ts_idx ON metrics (service, ts DESC);
-- time-range scans across services (charts); BRIN stays tiny because rows arrive roughly in ts order
CREATE INDEX metrics_ts_brin ON metrics USING brin (ts);

-- amount is numeric without a scale: exact as sent (JSON decimal text -> numeric), no rounding of
-- three-decimal currencies (BHD, KWD...). Rows read through the adapter come back as JS numbers.
CREATE TABLE transactions (
  event_id text PRIMARY KEY,
  ts timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  transaction_id text NOT NULL,
  user_id text NOT NULL,
  amount numeric NOT NULL,
  currency text NOT NULL,
  merchant text,
  status text,
  attributes jsonb NOT NULL DEFAULT '{}',
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL
);
CREATE INDEX transactions_ts_idx ON transactions (ts DESC);
CREATE INDEX transactions_user_ts_idx ON transactions (user_id, ts DESC);
CREATE INDEX transactions_transaction_id_idx ON transactions (transaction_id);

-- One row per episode: a rule held for a key from first_seen to last_seen (event time).
-- The etl owns the detector's columns; the alerter owns notified_at / resolved_notified_at /
-- silenced_by; people own acknowledged_* (see etl store: an upsert never touches those).
CREATE TABLE anomalies (
  id text PRIMARY KEY,
  rule text NOT NULL,
  key text NOT NULL,
  topic text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'resolved', 'acknowledged')),
  severity text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  resolved_at timestamptz,
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  comparator text NOT NULL,
  event_count bigint NOT NULL,
  window_ms bigint,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  notified_at timestamptz,
  resolved_notified_at timestamptz,
  silenced_by text,
  acknowledged_by text,
  acknowledged_at timestamptz,
  ack_note text
);
CREATE INDEX anomalies_first_seen_idx ON anomalies (first_seen DESC);
CREATE INDEX anomalies_status_first_seen_idx ON anomalies (status, first_seen DESC);
CREATE INDEX anomalies_rule_first_seen_idx ON anomalies (rule, first_seen DESC);
CREATE INDEX anomalies_key_idx ON anomalies (key);
-- the alerter's outbox: small partial indexes that hold only what is still to send
CREATE INDEX anomalies_unnotified_idx ON anomalies (created_at) WHERE notified_at IS NULL;
CREATE INDEX anomalies_resolved_unnotified_idx ON anomalies (resolved_at)
  WHERE status = 'resolved' AND resolved_notified_at IS NULL;

-- Records that failed cleaning, with the raw bytes. Unique on where they were read, so a
-- redelivered rejection is stored once.
CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  expected_kind text,
  reason text NOT NULL,
  message text NOT NULL,
  raw bytea,
  key bytea,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, partition, "offset")
);
CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at DESC);

-- Silences, for the alerter: a null rule or key matches any.
CREATE TABLE silences (
  id text PRIMARY KEY,
  rule text,
  key text,
  expires_at timestamptz NOT NULL,
  comment text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX silences_expires_at_idx ON silences (expires_at);

-- Internal. Where each consumer group stands in each partition (Kafka's convention: the next
-- offset to read), written in the same transaction as the rows it covers.
CREATE TABLE consumer_offsets (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Internal. The detector's window state per partition, consistent with consumer_offsets.
CREATE TABLE detector_state (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
