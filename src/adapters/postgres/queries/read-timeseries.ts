// A series bucketed in SQL with date_bin (buckets aligned on the Unix epoch, so the same bucket
// size always cuts time at the same instants), empty buckets filled with zeros here. Counts
// (events, errors) come from the per-minute rollups where the bucket is whole minutes; readings
// (cpu, latency, amount) from the rows, as their 95th percentile needs every one.
import type { TimeseriesPoint, TimeseriesSeries } from '../../../contracts/api.ts'
import { EVENT_TOPICS } from '../../../contracts/topics.ts'
import type { Database, Queryable } from '../database.ts'
import { withAnalytics } from './analytics.ts'
import { readEventAggregates } from './event-aggregates.ts'
import { createSqlParams, isoOf } from './sql-params.ts'

export interface TimeseriesQuery {
  series: TimeseriesSeries
  /** logs and metrics of one service (transactions have none: `events` then leaves them out) */
  service: string | null
  fromMs: number
  toMs: number
  bucketMs: number
}

interface BucketRow {
  t: Date
  count: number
  avg: number | null
  p95: number | null
  max: number | null
}

export function readTimeseries(db: Database, query: TimeseriesQuery): Promise<TimeseriesPoint[]> {
  return withAnalytics(db, async (tx) => {
    const rows =
      query.series === 'events' || query.series === 'errors'
        ? await readCounted(tx, query)
        : await readMeasured(tx, query)
    return fillBuckets(rows, query)
  })
}

/** events and errors: counts, from the rollups where the bucket allows */
async function readCounted(db: Queryable, query: TimeseriesQuery): Promise<BucketRow[]> {
  const rows = await readEventAggregates(db, {
    fromMs: query.fromMs,
    toMs: query.toMs,
    topics: query.series === 'errors' ? ['logs'] : EVENT_TOPICS,
    service: query.service,
    bucketMs: query.bucketMs,
  })
  return rows.map((row) => ({
    t: row.t!,
    count: query.series === 'errors' ? row.errors : row.events,
    avg: null,
    p95: null,
    max: null,
  }))
}

/** cpu, latency, amount (a percentile needs every reading) and anomalies: from the rows */
async function readMeasured(db: Queryable, query: TimeseriesQuery): Promise<BucketRow[]> {
  const params = createSqlParams()
  const bucket = params.add(`${query.bucketMs} milliseconds`)
  const from = params.add(isoOf(query.fromMs))
  const to = params.add(isoOf(query.toMs))
  const service = query.service === null ? null : params.add(query.service)
  const bin = (column: string) =>
    `date_bin(${bucket}::interval, ${column}, timestamptz '1970-01-01 00:00:00+00')`
  const range = (column: string) => `${column} >= ${from}::timestamptz AND ${column} < ${to}::timestamptz`
  const ofService = (column: string) => (service ? ` AND ${column} = ${service}` : '')
  const stats = (table: string, column: string, extra = '') =>
    `SELECT ${bin('ts')} AS t, count(*)::bigint AS count, avg(${column})::float8 AS avg,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ${column})::float8 AS p95, max(${column})::float8 AS max
     FROM ${table} WHERE ${range('ts')}${extra} GROUP BY 1 ORDER BY 1`

  let sql: string
  switch (query.series) {
    case 'cpu':
      sql = stats('metrics', 'cpu', ofService('service'))
      break
    case 'latency':
      sql = stats('metrics', 'latency_ms', ofService('service'))
      break
    case 'amount':
      // transactions have no service: the filter does not apply (the route refuses it)
      sql = stats('transactions', 'amount')
      break
    case 'anomalies':
      sql = `SELECT ${bin('first_seen')} AS t, count(*)::bigint AS count, NULL::float8 AS avg,
               NULL::float8 AS p95, NULL::float8 AS max
             FROM anomalies WHERE ${range('first_seen')}${ofService('key')} GROUP BY 1 ORDER BY 1`
      break
    case 'events':
    case 'errors':
      return readCounted(db, query)
  }
  const { rows } = await db.query<BucketRow>(sql, params.values)
  return rows
}

/** One point per bucket from the one holding `fromMs` to the one holding `toMs - 1`. */
function fillBuckets(rows: readonly BucketRow[], query: TimeseriesQuery): TimeseriesPoint[] {
  const byStart = new Map(rows.map((row) => [row.t.getTime(), row]))
  const { bucketMs } = query
  const first = Math.floor(query.fromMs / bucketMs) * bucketMs
  const points: TimeseriesPoint[] = []
  for (let t = first; t < query.toMs; t += bucketMs) {
    const row = byStart.get(t)
    points.push({
      t: isoOf(t),
      count: row?.count ?? 0,
      avg: row?.avg ?? null,
      p95: row?.p95 ?? null,
      max: row?.max ?? null,
    })
  }
  return points
}
