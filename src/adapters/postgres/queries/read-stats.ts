// The numbers of the dashboard's overview for a time range: events and rates per topic and per
// service, the error ratio, anomalies by rule and status, dead letters by reason, and where each
// consumer group stands. Event counts come from the per-minute rollups (see event-aggregates.ts).
import type { Stats } from '../../../contracts/api.ts'
import { EVENT_TOPICS } from '../../../contracts/topics.ts'
import type { Database, Queryable } from '../database.ts'
import { withAnalytics } from './analytics.ts'
import { readEventAggregates } from './event-aggregates.ts'
import { isoOf, isoOrNull } from './sql-params.ts'

export const MAX_STATS_SERVICES = 100

export interface StatsRange {
  fromMs: number
  toMs: number
  /** the clock, for `seconds_since_commit` */
  nowMs: number
}

export async function readStats(db: Database, range: StatsRange): Promise<Stats> {
  return withAnalytics(db, (tx) => readStatsIn(tx, range))
}

async function readStatsIn(db: Queryable, range: StatsRange): Promise<Stats> {
  const bounds = [isoOf(range.fromMs), isoOf(range.toMs)]
  const seconds = Math.max((range.toMs - range.fromMs) / 1000, 0.001)
  const aggregates = await readEventAggregates(db, {
    fromMs: range.fromMs,
    toMs: range.toMs,
    topics: EVENT_TOPICS,
    service: null,
    bucketMs: null,
  })
  const newest = await db.query<{ topic: string; newest: Date | null }>(
    EVENT_TOPICS.map((t) => `SELECT '${t}' AS topic, (SELECT max(ts) FROM ${t}) AS newest`).join(
      ' UNION ALL ',
    ),
  )
  const anomalies = await db.query<{
    rule: string
    status: Stats['anomalies']['by_rule_status'][number]['status']
    count: number
  }>(
    `SELECT rule, status, count(*)::bigint AS count FROM anomalies
     WHERE first_seen < $2::timestamptz AND (status <> 'resolved' OR last_seen >= $1::timestamptz)
     GROUP BY rule, status ORDER BY rule, status`,
    bounds,
  )
  const open = await db.query<{ open: number }>(
    `SELECT count(*)::bigint AS open FROM anomalies WHERE status IN ('open', 'acknowledged')`,
  )
  const deadLetters = await db.query<{ reason: string; topic: string; count: number }>(
    `SELECT reason, topic, count(*)::bigint AS count FROM dead_letters
     WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
     GROUP BY reason, topic ORDER BY count DESC, reason, topic`,
    bounds,
  )
  const groups = await db.query<{ group_id: string; partitions: number; last_commit_at: Date | null }>(
    `SELECT group_id, count(*)::bigint AS partitions, max(updated_at) AS last_commit_at
     FROM consumer_offsets GROUP BY group_id ORDER BY group_id`,
  )

  const newestByTopic = new Map(newest.rows.map((r) => [r.topic, r.newest]))
  const services = new Map<string, Stats['services'][number]>()
  const serviceOf = (service: string) => {
    let entry = services.get(service)
    if (!entry) {
      entry = {
        service,
        events: 0,
        per_second: 0,
        logs: 0,
        errors: 0,
        error_ratio: null,
        metrics: 0,
        avg_cpu: null,
        max_cpu: null,
        avg_latency_ms: null,
        max_latency_ms: null,
      }
      services.set(service, entry)
    }
    return entry
  }
  let logs = 0
  let errors = 0
  const eventsByTopic = new Map<string, number>()
  for (const row of aggregates) {
    eventsByTopic.set(row.topic!, (eventsByTopic.get(row.topic!) ?? 0) + row.events)
    if (row.topic === 'logs') {
      const entry = serviceOf(row.service!)
      entry.logs = row.events
      entry.errors = row.errors
      entry.error_ratio = row.events > 0 ? row.errors / row.events : null
      logs += row.events
      errors += row.errors
    } else if (row.topic === 'metrics') {
      const entry = serviceOf(row.service!)
      entry.metrics = row.events
      entry.avg_cpu = row.events > 0 && row.cpu_sum !== null ? row.cpu_sum / row.events : null
      entry.max_cpu = row.cpu_max
      entry.avg_latency_ms = row.events > 0 && row.latency_sum !== null ? row.latency_sum / row.events : null
      entry.max_latency_ms = row.latency_max
    }
  }
  for (const entry of services.values()) {
    entry.events = entry.logs + entry.metrics
    entry.per_second = entry.events / seconds
  }

  return {
    range: { from: isoOf(range.fromMs), to: isoOf(range.toMs), seconds },
    topics: EVENT_TOPICS.map((topic) => {
      const events = eventsByTopic.get(topic) ?? 0
      return {
        topic,
        events,
        per_second: events / seconds,
        newest_event_at: isoOrNull(newestByTopic.get(topic)),
      }
    }),
    services: [...services.values()]
      .sort((a, b) => b.events - a.events || a.service.localeCompare(b.service))
      .slice(0, MAX_STATS_SERVICES),
    errors: { logs, errors, ratio: logs > 0 ? errors / logs : null },
    anomalies: { by_rule_status: anomalies.rows, open: open.rows[0]?.open ?? 0 },
    dead_letters: deadLetters.rows,
    pipeline: groups.rows.map((row) => ({
      group: row.group_id,
      partitions: row.partitions,
      last_commit_at: isoOrNull(row.last_commit_at),
      seconds_since_commit: row.last_commit_at ? (range.nowMs - row.last_commit_at.getTime()) / 1000 : null,
      lag_records: null,
    })),
  }
}
