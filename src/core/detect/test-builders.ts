// Tiny builders and a runner for the detector's tests: fixed times, defaults that trip nothing.
import type { Event, LogEvent, MetricEvent, TransactionEvent } from '../../contracts/events.ts'
import type { Anomaly, AnomalyChange } from './anomaly.ts'
import { advanceTime, DEFAULT_ALLOWED_LATENESS_MS, type DetectOptions, detect } from './detect.ts'
import { createDetectorState, type PartitionDetectorState } from './detector-state.ts'
import type { Rule } from './rule.ts'

export const T0 = Date.UTC(2025, 0, 1, 10, 0, 0)
export const sec = (n: number): number => n * 1_000
export const min = (n: number): number => n * 60_000

let serial = 0
const nextId = (prefix: string) => `${prefix}-${String(++serial).padStart(6, '0')}`
const source = { topic: 'test', partition: 0, offset: 0 }

export function aLog(fields: Partial<LogEvent> = {}): LogEvent {
  return {
    kind: 'log',
    eventId: nextId('log'),
    tsMs: T0,
    source,
    attributes: {},
    service: 'auth-service',
    level: 'INFO',
    message: 'ok',
    userId: null,
    ...fields,
  }
}

export function aMetric(fields: Partial<MetricEvent> = {}): MetricEvent {
  return {
    kind: 'metric',
    eventId: nextId('metric'),
    tsMs: T0,
    source,
    attributes: {},
    service: 'inventory-api',
    cpu: 40,
    latencyMs: 120,
    ...fields,
  }
}

export function aTransaction(fields: Partial<TransactionEvent> = {}): TransactionEvent {
  const eventId = nextId('tx')
  return {
    kind: 'transaction',
    eventId,
    tsMs: T0,
    source,
    attributes: {},
    transactionId: eventId,
    userId: 'u-1',
    amount: 25,
    currency: 'USD',
    merchant: null,
    status: null,
    ...fields,
  }
}

/** `count` events of `make(i)` at T0 + i * stepMs. */
export function series<E extends Event>(
  count: number,
  stepMs: number,
  make: (i: number) => Partial<E>,
  build: (f: Partial<E>) => E,
): E[] {
  return Array.from({ length: count }, (_, i) => build({ tsMs: T0 + i * stepMs, ...make(i) }))
}

/** Folds changes into each anomaly's latest state, in a stable order. */
export function foldChanges(
  changes: readonly AnomalyChange[],
  into = new Map<string, Anomaly>(),
): Map<string, Anomaly> {
  for (const change of changes) into.set(change.anomaly.id, change.anomaly)
  return into
}

export function sortedAnomalies(anomalies: Map<string, Anomaly>): Anomaly[] {
  return [...anomalies.values()].sort(
    (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
  )
}

export interface RunOptions extends DetectOptions {
  rules: readonly Rule[]
  /** afterwards, move the watermark to this event time (advanceTime); default: just past the last event */
  untilMs?: number
  state?: PartitionDetectorState
}

export interface RunResult {
  anomalies: Anomaly[]
  changes: AnomalyChange[][]
  lateEvents: number
  state: PartitionDetectorState
}

/** Runs batches through one partition's detector, then lets event time reach `untilMs`. */
export function run(batches: readonly (readonly Event[])[], options: RunOptions): RunResult {
  const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS
  let state = options.state ?? createDetectorState()
  const changes: AnomalyChange[][] = []
  let lateEvents = 0
  for (const batch of batches) {
    const result = detect(state, batch, options.rules, { allowedLatenessMs })
    state = result.state
    lateEvents += result.lateEvents
    changes.push(result.changes)
  }
  const lastMs = Math.max(...batches.flat().map((e) => e.tsMs))
  const untilMs = options.untilMs ?? lastMs + 1
  const flushed = advanceTime(state, untilMs + allowedLatenessMs, options.rules, {
    allowedLatenessMs,
    idleGraceMs: 0,
  })
  changes.push(flushed.changes)
  return { anomalies: sortedAnomalies(foldChanges(changes.flat())), changes, lateEvents, state }
}
