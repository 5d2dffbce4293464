// Counts, error counts and cpu/latency sums and maxima of the events in [fromMs, toMs), per time
// bucket or per topic and service: from the per-minute rollups (event_rollups, migration 0003) for
// the whole minutes of the range, and from the events themselves for the partial minutes at its
// edges, so the answer is exact and costs about 50 rollup rows per minute plus two minutes of
// events, however long the range. A bucket that is not a whole number of minutes reads events only.
import type { EventTopic } from '../../../contracts/topics.ts'
import type { Queryable } from '../database.ts'
import { createSqlParams, isoOf, type SqlParams } from './sql-params.ts'

const MINUTE_MS = 60_000
const EPOCH = `timestamptz '1970-01-01 00:00:00+00'`

export interface AggregateQuery {
  fromMs: number
  toMs: number
  topics: readonly EventTopic[]
  /** only this service's logs and metrics (transactions have none: leave them out) */
  service: string | null
  /** group by time buckets of this size, or (null) by topic and service */
  bucketMs: number | null
}

export interface AggregateRow {
  /** the bucket's start (bucketed queries), else null */
  t: Date | null
  /** null when bucketed */
  topic: EventTopic | null
  service: string | null
  events: number
  errors: number
  cpu_sum: number | null
  cpu_max: number | null
  latency_sum: number | null
  latency_max: number | null
}

/** The aggregates of each table's own rows, in the columns of event_rollups. */
const RAW: Record<EventTopic, { service: string; aggregates: string }> = {
  logs: {
    service: 'service',
    aggregates: `count(*) FILTER (WHERE level IN ('ERROR', 'FATAL')) AS errors, NULL::float8 AS cpu_sum,
      NULL::float8 AS cpu_max, NULL::float8 AS latency_sum, NULL::float8 AS latency_max`,
  },
  metrics: {
    service: 'service',
    aggregates: `0 AS errors, sum(cpu) AS cpu_sum, max(cpu) AS cpu_max, sum(latency_ms) AS latency_sum,
      max(latency_ms) AS latency_max`,
  },
  transactions: {
    service: `''`,
    aggregates: `0 AS errors, NULL::float8 AS cpu_sum, NULL::float8 AS cpu_max, NULL::float8 AS latency_sum,
      NULL::float8 AS latency_max`,
  },
}

export async function readEventAggregates(db: Queryable, query: AggregateQuery): Promise<AggregateRow[]> {
  const params = createSqlParams()
  const bucket = query.bucketMs === null ? null : params.add(`${query.bucketMs} milliseconds`)
  const service = query.service === null ? null : params.add(query.service)
  const topics = query.service === null ? query.topics : query.topics.filter((t) => t !== 'transactions')
  if (topics.length === 0) return []
  const timeOf = (column: string) =>
    bucket ? `date_bin(${bucket}::interval, ${column}, ${EPOCH})` : 'NULL::timestamptz'
  const byTopic = query.bucketMs === null

  const useRollups = query.bucketMs === null || query.bucketMs % MINUTE_MS === 0
  const firstWhole = Math.ceil(query.fromMs / MINUTE_MS) * MINUTE_MS
  const endWhole = Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS
  const parts: string[] = []
  const raw = (fromMs: number, toMs: number) => {
    if (fromMs >= toMs) return
    for (const topic of topics) parts.push(rawPart(params, topic, fromMs, toMs, timeOf, service))
  }
  if (useRollups && firstWhole < endWhole) {
    const from = params.add(isoOf(firstWhole))
    const to = params.add(isoOf(endWhole))
    parts.push(
      `SELECT ${timeOf('minute')} AS t, topic, service, sum(events) AS events, sum(errors) AS errors,
         sum(cpu_sum) AS cpu_sum, max(cpu_max) AS cpu_max, sum(latency_sum) AS latency_sum,
         max(latency_max) AS latency_max
       FROM event_rollups
       WHERE minute >= ${from}::timestamptz AND minute < ${to}::timestamptz
         AND topic = ANY(${params.add(topics)}::text[])${service ? ` AND service = ${service}` : ''}
       GROUP BY 1, 2, 3`,
    )
    raw(query.fromMs, firstWhole)
    raw(endWhole, query.toMs)
  } else {
    raw(query.fromMs, query.toMs)
  }
  const groupBy = byTopic ? 'topic, service' : 't'
  const select = byTopic ? 'NULL::timestamptz AS t, topic, service' : 't, NULL AS topic, NULL AS service'
  const { rows } = await db.query<AggregateRow>(
    `SELECT ${select}, sum(events)::bigint AS events, sum(errors)::bigint AS errors,
       sum(cpu_sum)::float8 AS cpu_sum, max(cpu_max)::float8 AS cpu_max,
       sum(latency_sum)::float8 AS latency_sum, max(latency_max)::float8 AS latency_max
     FROM (${parts.join('\n UNION ALL\n ')}) AS parts
     GROUP BY ${groupBy} ORDER BY ${groupBy}`,
    params.values,
  )
  return rows
}

function rawPart(
  params: SqlParams,
  topic: EventTopic,
  fromMs: number,
  toMs: number,
  timeOf: (column: string) => string,
  service: string | null,
): string {
  const c = RAW[topic]
  return `SELECT ${timeOf('ts')} AS t, '${topic}' AS topic, ${c.service} AS service, count(*) AS events,
      ${c.aggregates}
    FROM ${topic}
    WHERE ts >= ${params.add(isoOf(fromMs))}::timestamptz AND ts < ${params.add(isoOf(toMs))}::timestamptz${
      service ? ` AND service = ${service}` : ''
    }
    GROUP BY 1, 3`
}
