// The stream's per-second counters: events stored with event time in a short window that ended a
// moment ago (so the etl has had time to store them), per topic, and the anomalies open now.
import { ERROR_LEVELS } from '../../../contracts/api.ts'
import type { Queryable } from '../database.ts'
import { isoOf } from './sql-params.ts'

export interface LiveCounts {
  logs: number
  errors: number
  metrics: number
  transactions: number
  openAnomalies: number
}

/** Counts of events with event time in (fromMs, toMs]. */
export async function readLiveCounts(
  db: Queryable,
  window: { fromMs: number; toMs: number },
): Promise<LiveCounts> {
  const inWindow = 'ts > $1::timestamptz AND ts <= $2::timestamptz'
  const { rows } = await db.query<{
    logs: number
    errors: number
    metrics: number
    transactions: number
    open_anomalies: number
  }>(
    `SELECT l.logs, l.errors,
       (SELECT count(*) FROM metrics WHERE ${inWindow})::bigint AS metrics,
       (SELECT count(*) FROM transactions WHERE ${inWindow})::bigint AS transactions,
       (SELECT count(*) FROM anomalies WHERE status IN ('open', 'acknowledged'))::bigint AS open_anomalies
     FROM (SELECT count(*)::bigint AS logs, count(*) FILTER (WHERE level = ANY($3::text[]))::bigint AS errors
           FROM logs WHERE ${inWindow}) AS l`,
    [isoOf(window.fromMs), isoOf(window.toMs), ERROR_LEVELS],
  )
  const row = rows[0]!
  return {
    logs: row.logs,
    errors: row.errors,
    metrics: row.metrics,
    transactions: row.transactions,
    openAnomalies: row.open_anomalies,
  }
}
