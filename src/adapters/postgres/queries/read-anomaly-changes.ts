// Anomaly changes for the live stream, by `updated_at` (set by every change: the etl's upsert, an
// acknowledgement). `updated_at` is the changing transaction's start, not its commit: a change
// may become visible after later-stamped ones. Readers therefore look back a little (a window
// longer than any write transaction) and drop what they already delivered; see anomaly-feed.ts.
import type { Anomaly } from '../../../contracts/api.ts'
import type { Queryable } from '../database.ts'
import { ANOMALY_COLUMNS, type AnomalyRow, toAnomaly } from './anomaly-rows.ts'
import { microsText } from './sql-params.ts'

export interface AnomalyChangeRow {
  anomaly: Anomaly
  /** updated_at as microsecond ISO text: the change's position */
  at: string
  /** created_at = updated_at: the row was inserted by this change */
  inserted: boolean
}

/** The database's clock now, as microsecond ISO text. */
export async function readDatabaseNow(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ now: string }>(`SELECT ${microsText('statement_timestamp()')} AS now`)
  return rows[0]!.now
}

/**
 * Changes with updated_at >= `since` - `lookbackMs`, after the position `after` (exclusive) when
 * given, oldest first, at most `limit`.
 */
export async function readAnomalyChanges(
  db: Queryable,
  options: { since: string; lookbackMs: number; after?: { at: string; id: string }; limit: number },
): Promise<AnomalyChangeRow[]> {
  const params: unknown[] = [options.since, `${options.lookbackMs} milliseconds`]
  let position = ''
  if (options.after) {
    params.push(options.after.at, options.after.id)
    position = ` AND (updated_at > $3::timestamptz OR (updated_at = $3::timestamptz AND id > $4))`
  }
  params.push(options.limit)
  const { rows } = await db.query<AnomalyRow & { at: string; inserted: boolean }>(
    `SELECT ${ANOMALY_COLUMNS}, ${microsText('updated_at')} AS at, created_at = updated_at AS inserted
     FROM anomalies
     WHERE updated_at >= $1::timestamptz - $2::interval${position}
     ORDER BY updated_at, id LIMIT $${params.length}`,
    params,
  )
  return rows.map((row) => ({ anomaly: toAnomaly(row), at: row.at, inserted: row.inserted }))
}
