// The numbers of the dashboard's overview for a time range: events and rates per topic and per
// service, the error ratio, anomalies by rule and status, dead letters by reason, and where each
// consumer group stands. Independent statements, run side by side on the pool.
import { ERROR_LEVELS, type Stats } from '../../../contracts/api.ts'
import { EVENT_TOPICS } from '../../../contracts/topics.ts'
import type { Queryable } from '../database.ts'
import { isoOf, isoOrNull } from './sql-params.ts'

export const MAX_STATS_SERVICES = 100

export interface StatsRange {
  fromMs: number
  toMs: number
  /** the clock, for `seconds_since_commit` */
  nowMs: number
}

export async function readStats(db: Queryable, range: StatsRange): Promise<Stats> {
  const bounds = [isoOf(range.fromMs), isoOf(range.toMs)]
  const inRange = 'ts >= $1::timestamptz AND ts < $2::timestamptz'
  const seconds = Math.max((range.toMs - range.fromMs) / 1000, 0.001)
  const [topics, newest, logServices, metricServices, anomalies, open, deadLetters, groups] =
    await Promise.all([
      db.query<{ topic: string; events: number }>(
        EVENT_TOPICS.map(
          (t) => `SELECT '${t}' AS topic, count(*)::bigint AS events FROM ${t} WHERE ${inRange}`,
        ).join(' UNION ALL '),
        bounds,
      ),
      db.query<{ topic: string; newest: Date | null }>(
        EVENT_TOPICS.map((t) => `SELECT '${t}' AS topic, (SELECT max(ts) FROM ${t}) AS newest`).join(
          ' UNION ALL ',
        ),
      ),
      db.query<{ service: string; logs: number; errors: number }>(
        `SELECT service, count(*)::bigint AS logs, count(*) FILTER (WHERE level = ANY($3::text[]))::bigint AS errors
       FROM logs WHERE ${inRange} GROUP BY service`,
        [...bounds, ERROR_LEVELS],
      ),
      db.query<{
        service: string
        metrics: number
        avg_cpu: number
        max_cpu: number
        avg_latency_ms: number
        max_latency_ms: number
      }>(
        `SELECT service, count(*)::bigint AS metrics, avg(cpu) AS avg_cpu, max(cpu) AS max_cpu,
         avg(latency_ms) AS avg_latency_ms, max(latency_ms) AS max_latency_ms
       FROM metrics WHERE ${inRange} GROUP BY service`,
        bounds,
      ),
      db.query<{
        rule: string
        status: Stats['anomalies']['by_rule_status'][number]['status']
        count: number
      }>(
        `SELECT rule, status, count(*)::bigint AS count FROM anomalies
       WHERE first_seen < $2::timestamptz AND (status <> 'resolved' OR last_seen >= $1::timestamptz)
       GROUP BY rule, status ORDER BY rule, status`,
        bounds,
      ),
      db.query<{ open: number }>(
        `SELECT count(*)::bigint AS open FROM anomalies WHERE status IN ('open', 'acknowledged')`,
      ),
      db.query<{ reason: string; topic: string; count: number }>(
        `SELECT reason, topic, count(*)::bigint AS count FROM dead_letters
       WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
       GROUP BY reason, topic ORDER BY count DESC, reason, topic`,
        bounds,
      ),
      db.query<{ group_id: string; partitions: number; last_commit_at: Date | null }>(
        `SELECT group_id, count(*)::bigint AS partitions, max(updated_at) AS last_commit_at
       FROM consumer_offsets GROUP BY group_id ORDER BY group_id`,
      ),
    ])

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
  for (const row of logServices.rows) {
    const entry = serviceOf(row.service)
    entry.logs = row.logs
    entry.errors = row.errors
    entry.error_ratio = row.logs > 0 ? row.errors / row.logs : null
    logs += row.logs
    errors += row.errors
  }
  for (const row of metricServices.rows) {
    const entry = serviceOf(row.service)
    entry.metrics = row.metrics
    entry.avg_cpu = row.avg_cpu
    entry.max_cpu = row.max_cpu
    entry.avg_latency_ms = row.avg_latency_ms
    entry.max_latency_ms = row.max_latency_ms
  }
  for (const entry of services.values()) {
    entry.events = entry.logs + entry.metrics
    entry.per_second = entry.events / seconds
  }

  return {
    range: { from: isoOf(range.fromMs), to: isoOf(range.toMs), seconds },
    topics: EVENT_TOPICS.map((topic) => {
      const events = topics.rows.find((r) => r.topic === topic)?.events ?? 0
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
