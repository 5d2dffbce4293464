-- streamwatch schema, version 3: what the HTTP API's reads need. Never edit once applied.

-- The metrics listing is newest first, and /api/stats and the live counters read the newest
-- metric and time ranges across services: a btree on time (0001 has only a BRIN, which can
-- neither order nor find the maximum without reading every block range).
CREATE INDEX metrics_ts_idx ON metrics (ts DESC);

-- The live stream (/api/stream) reads the anomalies changed since a moment, every second or so.
CREATE INDEX anomalies_updated_at_idx ON anomalies (updated_at);

-- Per-minute rollups of the event tables, so that /api/stats and /api/timeseries read about 50 rows
-- per minute of a range instead of every event (a day of 10 events/s is 864,000 rows). Kept by
-- statement-level triggers in the transaction that writes the events: exact (a rolled-back batch
-- rolls its counts back; rows skipped by ON CONFLICT DO NOTHING are not in the transition table),
-- and invisible to the writers. A row per (minute of event time, table, service, partition): a
-- partition belongs to one etl consumer at a time, so concurrent consumers never update the same
-- row (transactions have no service: '' there). Late events update the minute they belong to.
-- Readers use rollups for the whole minutes of a range and the events themselves at its edges.
CREATE TABLE event_rollups (
  minute timestamptz NOT NULL,
  topic text NOT NULL, -- the table: logs, metrics or transactions
  service text NOT NULL,
  partition int NOT NULL,
  events bigint NOT NULL,
  errors bigint NOT NULL, -- logs at ERROR or FATAL
  cpu_sum double precision,
  cpu_max double precision,
  latency_sum double precision,
  latency_max double precision,
  PRIMARY KEY (minute, topic, service, partition)
);

-- The minute an event time belongs to, the same in every time zone.
CREATE FUNCTION event_rollup_minute(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_bin('1 minute', ts, timestamptz '1970-01-01 00:00:00+00') $$;

-- Rows are added to on insert; on delete, update or truncate (not done by the pipeline; by people
-- and tests) the minutes concerned are computed again from the events.
CREATE FUNCTION add_log_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
  SELECT event_rollup_minute(ts), 'logs', service, partition, count(*),
    count(*) FILTER (WHERE level IN ('ERROR', 'FATAL'))
  FROM new_rows GROUP BY 1, 3, 4 ORDER BY 1, 3, 4
  ON CONFLICT (minute, topic, service, partition) DO UPDATE SET
    events = event_rollups.events + excluded.events,
    errors = event_rollups.errors + excluded.errors;
  RETURN NULL;
END $$;

CREATE FUNCTION add_metric_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_rollups (minute, topic, service, partition, events, errors, cpu_sum, cpu_max,
    latency_sum, latency_max)
  SELECT event_rollup_minute(ts), 'metrics', service, partition, count(*), 0, sum(cpu), max(cpu),
    sum(latency_ms), max(latency_ms)
  FROM new_rows GROUP BY 1, 3, 4 ORDER BY 1, 3, 4
  ON CONFLICT (minute, topic, service, partition) DO UPDATE SET
    events = event_rollups.events + excluded.events,
    cpu_sum = event_rollups.cpu_sum + excluded.cpu_sum,
    cpu_max = greatest(event_rollups.cpu_max, excluded.cpu_max),
    latency_sum = event_rollups.latency_sum + excluded.latency_sum,
    latency_max = greatest(event_rollups.latency_max, excluded.latency_max);
  RETURN NULL;
END $$;

CREATE FUNCTION add_transaction_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
  SELECT event_rollup_minute(ts), 'transactions', '', partition, count(*), 0
  FROM new_rows GROUP BY 1, 4 ORDER BY 1, 4
  ON CONFLICT (minute, topic, service, partition) DO UPDATE SET
    events = event_rollups.events + excluded.events;
  RETURN NULL;
END $$;

-- Computes the rollups of `minutes` of one table again from its rows.
CREATE FUNCTION refresh_event_rollups(table_name text, minutes timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_rollups WHERE topic = table_name AND minute = ANY(minutes);
  IF table_name = 'logs' THEN
    INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
    SELECT event_rollup_minute(ts), 'logs', service, partition, count(*),
      count(*) FILTER (WHERE level IN ('ERROR', 'FATAL'))
    FROM logs WHERE event_rollup_minute(ts) = ANY(minutes)
      AND ts >= (SELECT min(m) FROM unnest(minutes) AS m)
      AND ts < (SELECT max(m) FROM unnest(minutes) AS m) + interval '1 minute'
    GROUP BY 1, 3, 4;
  ELSIF table_name = 'metrics' THEN
    INSERT INTO event_rollups (minute, topic, service, partition, events, errors, cpu_sum, cpu_max,
      latency_sum, latency_max)
    SELECT event_rollup_minute(ts), 'metrics', service, partition, count(*), 0, sum(cpu), max(cpu),
      sum(latency_ms), max(latency_ms)
    FROM metrics WHERE event_rollup_minute(ts) = ANY(minutes)
      AND ts >= (SELECT min(m) FROM unnest(minutes) AS m)
      AND ts < (SELECT max(m) FROM unnest(minutes) AS m) + interval '1 minute'
    GROUP BY 1, 3, 4;
  ELSIF table_name = 'transactions' THEN
    INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
    SELECT event_rollup_minute(ts), 'transactions', '', partition, count(*), 0
    FROM transactions WHERE event_rollup_minute(ts) = ANY(minutes)
      AND ts >= (SELECT min(m) FROM unnest(minutes) AS m)
      AND ts < (SELECT max(m) FROM unnest(minutes) AS m) + interval '1 minute'
    GROUP BY 1, 4;
  END IF;
END $$;

CREATE FUNCTION refresh_rollups_of_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_event_rollups(TG_TABLE_NAME, ARRAY(SELECT DISTINCT event_rollup_minute(ts) FROM old_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION refresh_rollups_of_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_event_rollups(TG_TABLE_NAME, ARRAY(
    SELECT event_rollup_minute(ts) FROM old_rows UNION SELECT event_rollup_minute(ts) FROM new_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION clear_event_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_rollups WHERE topic = TG_TABLE_NAME;
  RETURN NULL;
END $$;

CREATE TRIGGER logs_rollups_insert AFTER INSERT ON logs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION add_log_rollups();
CREATE TRIGGER metrics_rollups_insert AFTER INSERT ON metrics
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION add_metric_rollups();
CREATE TRIGGER transactions_rollups_insert AFTER INSERT ON transactions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION add_transaction_rollups();

CREATE TRIGGER logs_rollups_delete AFTER DELETE ON logs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_deleted();
CREATE TRIGGER metrics_rollups_delete AFTER DELETE ON metrics
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_deleted();
CREATE TRIGGER transactions_rollups_delete AFTER DELETE ON transactions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_deleted();

CREATE TRIGGER logs_rollups_update AFTER UPDATE ON logs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_updated();
CREATE TRIGGER metrics_rollups_update AFTER UPDATE ON metrics
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_updated();
CREATE TRIGGER transactions_rollups_update AFTER UPDATE ON transactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refresh_rollups_of_updated();

CREATE TRIGGER logs_rollups_truncate AFTER TRUNCATE ON logs
  FOR EACH STATEMENT EXECUTE FUNCTION clear_event_rollups();
CREATE TRIGGER metrics_rollups_truncate AFTER TRUNCATE ON metrics
  FOR EACH STATEMENT EXECUTE FUNCTION clear_event_rollups();
CREATE TRIGGER transactions_rollups_truncate AFTER TRUNCATE ON transactions
  FOR EACH STATEMENT EXECUTE FUNCTION clear_event_rollups();

-- the events stored before this migration
INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
SELECT event_rollup_minute(ts), 'logs', service, partition, count(*),
  count(*) FILTER (WHERE level IN ('ERROR', 'FATAL'))
FROM logs GROUP BY 1, 3, 4;
INSERT INTO event_rollups (minute, topic, service, partition, events, errors, cpu_sum, cpu_max,
  latency_sum, latency_max)
SELECT event_rollup_minute(ts), 'metrics', service, partition, count(*), 0, sum(cpu), max(cpu),
  sum(latency_ms), max(latency_ms)
FROM metrics GROUP BY 1, 3, 4;
INSERT INTO event_rollups (minute, topic, service, partition, events, errors)
SELECT event_rollup_minute(ts), 'transactions', '', partition, count(*), 0
FROM transactions GROUP BY 1, 4;
