-- streamwatch schema, version 2: the alerter's outbox. Never edit once applied: add 0003_*.sql.
-- See docs/alerting.md for how the alerter uses these.

-- A claim is a lease. The alerter whose id is in notify_claimed_by sends the anomaly's pending
-- notification; it renews the lease while it holds the anomaly and before every attempt, and
-- clears both columns when Slack accepted the message. When a process dies holding a claim, the
-- lease runs out and any alerter may claim the anomaly again (its one message in flight at the
-- kill may then be sent twice). A message Slack refused is set aside the same way: no owner and a
-- lease until its slow retry. notify_error keeps the last refusal (Slack's answer) for people.
ALTER TABLE anomalies
  ADD COLUMN notify_claimed_by text,
  ADD COLUMN notify_claimed_until timestamptz,
  ADD COLUMN notify_error text;

-- Exactly what is still to send (the 0001 indexes also hold silenced anomalies, for good).
CREATE INDEX anomalies_firing_outbox_idx ON anomalies (created_at)
  WHERE notified_at IS NULL AND silenced_by IS NULL;
CREATE INDEX anomalies_resolved_outbox_idx ON anomalies (resolved_at)
  WHERE status = 'resolved' AND resolved_notified_at IS NULL AND notified_at IS NOT NULL
    AND silenced_by IS NULL;
-- an alerter releasing what it holds when it stops
CREATE INDEX anomalies_notify_claimed_by_idx ON anomalies (notify_claimed_by)
  WHERE notify_claimed_by IS NOT NULL;

-- Internal. The rate limit of each webhook (a token bucket and a 429's pause), shared by every
-- alerter process, so two processes together still send one message per second. `gate` is a hash
-- of the webhook URL, never the URL (a secret). A row with null tokens is a fresh bucket.
CREATE TABLE notification_gates (
  gate text PRIMARY KEY,
  tokens double precision,
  refilled_at timestamptz,
  paused_until timestamptz
);
