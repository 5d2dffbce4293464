// One anomaly, the events of its key around the episode, and acknowledging it.
import type { Anomaly, EventItem } from '../../../contracts/api.ts'
import type { EventTopic } from '../../../contracts/topics.ts'
import type { Database, Queryable } from '../database.ts'
import { ANOMALIES_CHANNEL } from '../etl-store.ts'
import { ANOMALY_COLUMNS, type AnomalyRow, toAnomaly } from './anomaly-rows.ts'
import { EVENT_COLUMNS, toEventItem } from './event-rows.ts'
import { createSqlParams, isoOf } from './sql-params.ts'

export async function getAnomaly(db: Queryable, id: string): Promise<Anomaly | undefined> {
  const { rows } = await db.query<AnomalyRow>(`SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE id = $1`, [id])
  return rows[0] ? toAnomaly(rows[0]) : undefined
}

/** The columns an anomaly's key can be, per topic: a fixed list, so they can be spliced safely. */
const KEY_COLUMNS: Record<EventTopic, readonly string[]> = {
  logs: ['service', 'user_id'],
  metrics: ['service'],
  transactions: ['user_id', 'transaction_id'],
}

/** Columns a condition may test, per topic (the rules' field names are the column names). */
const CONDITION_COLUMNS: Record<EventTopic, readonly string[]> = {
  logs: ['service', 'level', 'user_id'],
  metrics: ['service', 'cpu', 'latency_ms'],
  transactions: ['transaction_id', 'user_id', 'amount', 'currency', 'merchant', 'status'],
}

/** A rule's filter condition, as in src/core/detect (field names are column names). */
export type EventCondition =
  | { field: string; op: 'equals'; value: string | number }
  | { field: string; op: 'in'; values: ReadonlyArray<string | number> }
  | { field: string; op: '>' | '>=' | '<' | '<='; value: number }

export interface EventsAroundQuery {
  topic: EventTopic
  /** the key's column(s): several when the rule is unknown and the key could be either */
  keyColumns: readonly string[]
  key: string
  fromMs: number
  toMs: number
  /** only events matching all of these (a rule's filter) */
  conditions?: readonly EventCondition[]
  limit: number
}

/** The key's events in [fromMs, toMs], oldest first, at most `limit` (+ whether more matched). */
export async function readEventsAround(
  db: Queryable,
  query: EventsAroundQuery,
): Promise<{ events: EventItem[]; truncated: boolean }> {
  const params = createSqlParams()
  const allowedKeys = KEY_COLUMNS[query.topic]
  const keyColumns = query.keyColumns.filter((c) => allowedKeys.includes(c))
  if (keyColumns.length === 0) return { events: [], truncated: false }
  const key = params.add(query.key)
  const where = [
    `(${keyColumns.map((c) => `${c} = ${key}`).join(' OR ')})`,
    `ts >= ${params.add(isoOf(query.fromMs))}::timestamptz`,
    `ts <= ${params.add(isoOf(query.toMs))}::timestamptz`,
  ]
  for (const condition of query.conditions ?? []) {
    if (!CONDITION_COLUMNS[query.topic].includes(condition.field)) continue
    const column = condition.field
    switch (condition.op) {
      case 'equals':
        where.push(`${column} = ${params.add(condition.value)}`)
        break
      case 'in':
        where.push(`${column} = ANY(${params.add(condition.values)})`)
        break
      default:
        where.push(`${column} ${condition.op} ${params.add(condition.value)}`)
    }
  }
  const limit = params.add(query.limit + 1)
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${EVENT_COLUMNS[query.topic]} FROM ${query.topic} WHERE ${where.join(' AND ')}
     ORDER BY ts, event_id LIMIT ${limit}`,
    params.values,
  )
  const truncated = rows.length > query.limit
  const kept = truncated ? rows.slice(0, query.limit) : rows
  return { events: kept.map((row) => toEventItem(query.topic, row as never)), truncated }
}

/**
 * Records who acknowledged the anomaly and why. An open episode becomes `acknowledged`; a resolved
 * one stays resolved with the acknowledgement kept as a record. Acknowledging again replaces the
 * record. NOTIFYs the anomalies channel. Resolves to the updated anomaly, or undefined when there
 * is no such id.
 */
export async function acknowledgeAnomaly(
  db: Database,
  id: string,
  ack: { by: string; note: string | null },
): Promise<Anomaly | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<AnomalyRow>(
      `UPDATE anomalies SET
         status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END,
         acknowledged_by = $2, acknowledged_at = now(), ack_note = $3, updated_at = now()
       WHERE id = $1
       RETURNING ${ANOMALY_COLUMNS}`,
      [id, ack.by, ack.note],
    )
    // live streams (of every API process) hear of it at once, as of the etl's changes
    if (rows[0])
      await tx.query('SELECT pg_notify($1, $2)', [ANOMALIES_CHANNEL, JSON.stringify({ changed: 1 })])
    return rows[0] ? toAnomaly(rows[0]) : undefined
  })
}
