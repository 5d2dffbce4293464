// Anomaly rows as the API returns them (src/contracts/api.ts).
import type { Anomaly, AnomalyStatus } from '../../../contracts/api.ts'
import { isoOrNull } from './sql-params.ts'

export const ANOMALY_COLUMNS = `id, rule, key, topic, status, severity, first_seen, last_seen, resolved_at, value,
  threshold, comparator, event_count, window_ms, details, created_at, updated_at, notified_at, silenced_by,
  acknowledged_by, acknowledged_at, ack_note`

export interface AnomalyRow {
  id: string
  rule: string
  key: string
  topic: string
  status: string
  severity: string
  first_seen: Date
  last_seen: Date
  resolved_at: Date | null
  value: number
  threshold: number
  comparator: string
  event_count: number
  window_ms: number | null
  details: Record<string, unknown> | null
  created_at: Date
  updated_at: Date
  notified_at: Date | null
  silenced_by: string | null
  acknowledged_by: string | null
  acknowledged_at: Date | null
  ack_note: string | null
}

export function toAnomaly(row: AnomalyRow): Anomaly {
  return {
    id: row.id,
    rule: row.rule,
    key: row.key,
    topic: row.topic,
    status: row.status as AnomalyStatus,
    severity: row.severity,
    first_seen: row.first_seen.toISOString(),
    last_seen: row.last_seen.toISOString(),
    resolved_at: isoOrNull(row.resolved_at),
    value: row.value,
    threshold: row.threshold,
    comparator: row.comparator,
    event_count: row.event_count,
    window_ms: row.window_ms,
    details: row.details ?? {},
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    notified_at: isoOrNull(row.notified_at),
    silenced_by: row.silenced_by,
    acknowledged_by: row.acknowledged_by,
    acknowledged_at: isoOrNull(row.acknowledged_at),
    ack_note: row.ack_note,
  }
}
