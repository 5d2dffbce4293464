// The detector's anomalies into `anomalies`, one row per episode (id = f(rule, key, firstSeen)).
//
// Who owns what on a row:
// - the detector (this upsert): rule, key, topic, severity, first/last_seen, value, threshold,
//   comparator, event_count, window_ms, details, and status between open and resolved;
// - the alerter: notified_at, resolved_notified_at, silenced_by;
// - people (API): acknowledged_by/at, ack_note and the status 'acknowledged'.
// The upsert never writes the alerter's or people's columns. Status rules:
// - open    + detector says open     -> open
// - ack'ed  + detector says open     -> acknowledged (updates go on, the ack stays)
// - any     + detector says resolved -> resolved, resolved_at set (an acknowledged episode that
//   ends is resolved: the resolution is news; acknowledged_* stay as a record)
// - resolved + detector says open    -> open again, resolved_at cleared (not expected: an ended
//   episode gets a new id; this keeps the row truthful if it happens)
// A row is only written when something changed, so an unchanged re-send neither bumps
// updated_at nor counts as a change (and so triggers no NOTIFY).
import type { Anomaly } from '../../core/detect/anomaly.ts'
import type { Queryable } from './database.ts'
import { toJsonParam } from './json-param.ts'

/** What the store needs of an anomaly; the detector's `Anomaly` fits it. */
export type AnomalyInput = Pick<
  Anomaly,
  | 'id'
  | 'rule'
  | 'key'
  | 'status'
  | 'firstSeenMs'
  | 'lastSeenMs'
  | 'value'
  | 'threshold'
  | 'eventCount'
  | 'resolvedAtMs'
  | 'windowMs'
> & {
  topic: string
  comparator: string
  severity: string
  /** free-form context shown with the anomaly */
  details?: Record<string, unknown>
}

const UPSERT_ANOMALIES_SQL = `
INSERT INTO anomalies AS a (id, rule, key, topic, status, severity, first_seen, last_seen, resolved_at, value,
  threshold, comparator, event_count, window_ms, details)
SELECT id, rule, key, topic, status, severity, to_timestamp(first_seen_ms / 1000.0),
  to_timestamp(last_seen_ms / 1000.0),
  CASE WHEN status = 'resolved' THEN to_timestamp(coalesce(resolved_at_ms, last_seen_ms) / 1000.0) END,
  value, threshold, comparator, event_count, window_ms, coalesce(details, '{}')
FROM json_to_recordset($1::json) AS r(
  id text, rule text, key text, topic text, status text, severity text, first_seen_ms double precision,
  last_seen_ms double precision, resolved_at_ms double precision, value double precision,
  threshold double precision, comparator text, event_count bigint, window_ms bigint, details jsonb)
ON CONFLICT (id) DO UPDATE SET
  status = CASE
    WHEN excluded.status = 'resolved' THEN 'resolved'
    WHEN a.status = 'acknowledged' THEN 'acknowledged'
    ELSE excluded.status
  END,
  resolved_at = excluded.resolved_at,
  rule = excluded.rule,
  key = excluded.key,
  topic = excluded.topic,
  severity = excluded.severity,
  first_seen = excluded.first_seen,
  last_seen = excluded.last_seen,
  value = excluded.value,
  threshold = excluded.threshold,
  comparator = excluded.comparator,
  event_count = excluded.event_count,
  window_ms = excluded.window_ms,
  details = excluded.details,
  updated_at = now()
WHERE (a.status = 'resolved') IS DISTINCT FROM (excluded.status = 'resolved')
  OR (a.resolved_at, a.rule, a.key, a.topic, a.severity, a.first_seen, a.last_seen, a.value, a.threshold,
      a.comparator, a.event_count, a.window_ms, a.details)
     IS DISTINCT FROM
     (excluded.resolved_at, excluded.rule, excluded.key, excluded.topic, excluded.severity, excluded.first_seen,
      excluded.last_seen, excluded.value, excluded.threshold, excluded.comparator, excluded.event_count,
      excluded.window_ms, excluded.details)
RETURNING id`

/**
 * Upserts the latest state of each anomaly (when an id appears twice, the later one wins: one row
 * cannot be updated twice by one statement). Resolves to the ids inserted or changed.
 */
export async function upsertAnomalies(tx: Queryable, anomalies: readonly AnomalyInput[]): Promise<string[]> {
  if (anomalies.length === 0) return []
  const latest = new Map<string, AnomalyInput>()
  for (const anomaly of anomalies) latest.set(anomaly.id, anomaly)
  const rows = [...latest.values()].map((a) => ({
    id: a.id,
    rule: a.rule,
    key: a.key,
    topic: a.topic,
    status: a.status,
    severity: a.severity,
    first_seen_ms: a.firstSeenMs,
    last_seen_ms: a.lastSeenMs,
    resolved_at_ms: a.resolvedAtMs ?? null,
    value: a.value,
    threshold: a.threshold,
    comparator: a.comparator,
    event_count: a.eventCount,
    window_ms: a.windowMs ?? null,
    details: a.details ?? null,
  }))
  const { rows: changed } = await tx.query<{ id: string }>(UPSERT_ANOMALIES_SQL, [toJsonParam(rows)])
  return changed.map((row) => row.id)
}
