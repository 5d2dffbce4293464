// The anomalies listing: episodes active at some point of the range (opened before its end, and
// not resolved before its start), filtered, newest first_seen first, a keyset page at a time.
import type { Anomaly } from '../../../contracts/api.ts'
import type { Queryable } from '../database.ts'
import { ANOMALY_COLUMNS, type AnomalyRow, toAnomaly } from './anomaly-rows.ts'
import { type PageRequest, type PageRows, readPage } from './keyset-page.ts'
import type { TimeBounds } from './list-events.ts'
import { createSqlParams, isoOf } from './sql-params.ts'

export interface AnomalyFilters {
  rule?: readonly string[]
  status?: readonly string[]
  severity?: readonly string[]
  topic?: readonly string[]
  key?: string
}

export function listAnomalies(
  db: Queryable,
  bounds: TimeBounds,
  filters: AnomalyFilters,
  page: PageRequest,
): Promise<PageRows<Anomaly>> {
  const params = createSqlParams()
  // an episode that is still open (or acknowledged) is active until now, whatever its last_seen
  const where = [`(status <> 'resolved' OR last_seen >= ${params.add(isoOf(bounds.fromMs))}::timestamptz)`]
  if (bounds.toMs !== null) where.push(`first_seen < ${params.add(isoOf(bounds.toMs))}::timestamptz`)
  for (const [column, values] of [
    ['rule', filters.rule],
    ['status', filters.status],
    ['severity', filters.severity],
    ['topic', filters.topic],
  ] as const) {
    if (values && values.length > 0) where.push(`${column} = ANY(${params.add(values)}::text[])`)
  }
  if (filters.key !== undefined) where.push(`key = ${params.add(filters.key)}`)
  return readPage<AnomalyRow, Anomaly>(
    db,
    { table: 'anomalies', columns: ANOMALY_COLUMNS, timeColumn: 'first_seen', idColumn: 'id', where, params },
    page,
    toAnomaly,
  )
}
