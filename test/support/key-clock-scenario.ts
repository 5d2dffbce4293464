// Scenarios of services that share a partition with clocks that disagree, for the etl's tests of
// event time per key: each service's events are planned from a few features (an error burst, a
// run of CPU readings over the threshold, calm traffic) whose anomalies are known by
// construction, so the manifest is written from the plan, not by running the detector. The
// events are then published to Kafka at their planned wall time (live), or all at once (a
// backlog), in any order the scenario asks for.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database } from '../../src/adapters/postgres/database.ts'
import type { TopicNames } from '../../src/contracts/topics.ts'
import { anomalyId, type Rule } from '../../src/core/detect/index.ts'
import { encodeLog, encodeMetric, formatTimestamp } from '../../src/core/generate/wire.ts'
import type { BusProducer } from '../../src/pipelines/ports.ts'

export const QUIET_PERIOD_MS = 4_000
export const WINDOW_MS = 10_000

/** The seed's error burst and high CPU rules, with a short window and quiet period for a test's pace. */
export const SCENARIO_RULES: Rule[] = [
  {
    kind: 'count',
    name: 'error_burst',
    topic: 'logs',
    filter: [{ field: 'level', op: 'equals', value: 'ERROR' }],
    keyBy: 'service',
    windowMs: WINDOW_MS,
    threshold: 20,
    severity: 'critical',
    quietPeriodMs: QUIET_PERIOD_MS,
  },
  {
    kind: 'threshold',
    name: 'high_cpu',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
    keyBy: 'service',
    severity: 'warning',
    quietPeriodMs: QUIET_PERIOD_MS,
  },
]

export interface PlannedEvent {
  topic: 'logs' | 'metrics'
  service: string
  tsMs: number
  /** wall time (ms after the scenario's start) at which it is published */
  publishAtMs: number
  eventId: string
  level?: 'INFO' | 'ERROR'
  cpu?: number
}

export interface ExpectedAnomaly {
  id: string
  rule: string
  key: string
  firstSeenMs: number
  lastSeenMs: number
  value: number
  eventCount: number
  resolvedAtMs: number
}

/** One service's events and the anomalies they make, built feature by feature. */
export class ServicePlan {
  readonly events: PlannedEvent[] = []
  readonly anomalies: ExpectedAnomaly[] = []
  readonly service: string
  private readonly clockMs: number
  private readonly idPrefix: string
  private serial = 0

  /**
   * @param clockMs the service's clock at the scenario's start (the scenario's start plus its skew)
   * @param idPrefix of its events' ids: unique per plan
   */
  constructor(service: string, clockMs: number, idPrefix = service) {
    this.service = service
    this.clockMs = clockMs
    this.idPrefix = idPrefix
  }

  /** Calm traffic over [fromMs, toMs) of its own time: an INFO log every 250 ms, a metric (cpu 40) every 500 ms. */
  calm(fromMs: number, toMs: number): this {
    for (let at = fromMs; at < toMs; at += 250) {
      this.add('logs', at, { level: 'INFO' })
      if (at % 500 === 0) this.add('metrics', at, { cpu: 40 })
    }
    return this
  }

  /** `count` (> 20) ERROR logs `stepMs` apart from atMs: an error_burst firing at the 21st. */
  burst(atMs: number, count: number, stepMs = 40): this {
    for (let i = 0; i < count; i++) this.add('logs', atMs + i * stepMs, { level: 'ERROR' })
    this.expect('error_burst', atMs + 20 * stepMs, atMs + (count - 1) * stepMs, count, count)
    return this
  }

  /** CPU readings over 85 at the given times (less than a quiet period apart): one high_cpu episode. */
  breach(readings: readonly (readonly [atMs: number, cpu: number])[]): this {
    for (const [at, cpu] of readings) this.add('metrics', at, { cpu })
    const cpus = readings.map(([, cpu]) => cpu)
    this.expect(
      'high_cpu',
      readings[0]![0],
      readings[readings.length - 1]![0],
      Math.max(...cpus),
      cpus.length,
    )
    return this
  }

  /** Publishes every event planned so far at `publishAtMs` instead (a backlog delivered at once). */
  deliverAllAt(publishAtMs: number, fromMs = Number.NEGATIVE_INFINITY): this {
    for (const e of this.events) if (e.tsMs - this.clockMs >= fromMs) e.publishAtMs = publishAtMs
    return this
  }

  private add(topic: 'logs' | 'metrics', atMs: number, fields: { level?: 'INFO' | 'ERROR'; cpu?: number }) {
    // an anomalous reading replaces the calm one planned at the same instant
    const tsMs = this.clockMs + atMs
    const same = this.events.findIndex((e) => e.topic === topic && e.tsMs === tsMs)
    if (same >= 0) this.events.splice(same, 1)
    this.events.push({
      topic,
      service: this.service,
      tsMs,
      publishAtMs: atMs,
      eventId: `${this.idPrefix}-${topic}-${++this.serial}`,
      ...fields,
    })
  }

  private expect(rule: string, firstAtMs: number, lastAtMs: number, value: number, eventCount: number) {
    const firstSeenMs = this.clockMs + firstAtMs
    const lastSeenMs = this.clockMs + lastAtMs
    this.anomalies.push({
      id: anomalyId(rule, this.service, firstSeenMs),
      rule,
      key: this.service,
      firstSeenMs,
      lastSeenMs,
      value,
      eventCount,
      resolvedAtMs: lastSeenMs + QUIET_PERIOD_MS,
    })
  }
}

export function sortAnomalies<T extends { firstSeenMs: number; rule: string; key: string }>(
  anomalies: T[],
): T[] {
  return anomalies.sort(
    (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
  )
}

/**
 * Publishes the events at their planned wall time after `startWallMs`: every 50 ms, what is due,
 * in publish time order, and those due at one instant in event time order (a backlog is delivered
 * in order).
 */
export async function publishPlanned(
  producer: BusProducer,
  names: TopicNames,
  events: readonly PlannedEvent[],
  startWallMs: number,
): Promise<void> {
  const queue = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.publishAtMs - b.e.publishAtMs || a.e.tsMs - b.e.tsMs || a.i - b.i)
  let next = 0
  while (next < queue.length) {
    const dueMs = Date.now() - startWallMs
    const due: PlannedEvent[] = []
    while (next < queue.length && queue[next]!.e.publishAtMs <= dueMs) due.push(queue[next++]!.e)
    if (due.length > 0) {
      await producer.publish(
        due.map((e) => ({
          topic: names.full(e.topic),
          key: e.service,
          value:
            e.topic === 'logs'
              ? encodeLog({
                  event_id: e.eventId,
                  timestamp: formatTimestamp(e.tsMs),
                  service: e.service,
                  level: e.level ?? 'INFO',
                  message: e.level === 'ERROR' ? 'upstream failed' : 'ok',
                })
              : encodeMetric({
                  event_id: e.eventId,
                  timestamp: formatTimestamp(e.tsMs),
                  service: e.service,
                  cpu: e.cpu ?? 40,
                  latency_ms: 120,
                }),
        })),
      )
    }
    await sleep(50)
  }
}

export interface StoredScenarioAnomaly extends ExpectedAnomaly {
  status: string
}

export async function readScenarioAnomalies(db: Database): Promise<StoredScenarioAnomaly[]> {
  const { rows } = await db.query<{
    id: string
    rule: string
    key: string
    status: string
    first_ms: string
    last_ms: string
    resolved_ms: string | null
    value: number
    event_count: string
  }>(
    `SELECT id::text, rule, key, status, (extract(epoch FROM first_seen) * 1000)::bigint AS first_ms,
            (extract(epoch FROM last_seen) * 1000)::bigint AS last_ms,
            (extract(epoch FROM resolved_at) * 1000)::bigint AS resolved_ms, value, event_count
     FROM anomalies`,
  )
  return sortAnomalies(
    rows.map((r) => ({
      id: r.id,
      rule: r.rule,
      key: r.key,
      status: r.status,
      firstSeenMs: Number(r.first_ms),
      lastSeenMs: Number(r.last_ms),
      resolvedAtMs: Number(r.resolved_ms),
      value: r.value,
      eventCount: Number(r.event_count),
    })),
  )
}

/** The manifest as the stored rows must read once every episode resolved. */
export function resolvedManifest(plans: readonly ServicePlan[]): StoredScenarioAnomaly[] {
  return sortAnomalies(plans.flatMap((p) => p.anomalies.map((a) => ({ ...a, status: 'resolved' }))))
}
