// The generator's manifest against the real detector with the built-in rules: what the generator
// says it injected is exactly what the detector reports, episode for episode. Events go through the
// real cleaner first, and are split into partitions by key as on the bus.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import { KIND_OF_TOPIC } from '../../contracts/topics.ts'
import { cleanRecord, createCleanPolicy } from '../clean/index.ts'
import { type Anomaly, advanceTime, createDetectorState, DEFAULT_RULES, detect } from '../detect/index.ts'
import { createEventStream, type EventStreamOptions } from './event-stream.ts'

const START_MS = Date.UTC(2025, 0, 1, 10, 0, 0)
const PARTITIONS = 4
const BATCH = 500

function partitionOf(key: string): number {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0
  return Math.abs(h) % PARTITIONS
}

function detectAll(options: EventStreamOptions, count: number) {
  const stream = createEventStream(options)
  const generated = stream.take(count)
  const nowMs = generated.at(-1)!.eventTimeMs
  const encoder = new TextEncoder()
  const partitions: Event[][] = Array.from({ length: PARTITIONS }, () => [])
  generated.forEach((e, i) => {
    const partition = partitionOf(e.key)
    const value = typeof e.value === 'string' ? encoder.encode(e.value) : e.value
    const record = { topic: e.topic, partition, offset: i, key: encoder.encode(e.key), value }
    const result = cleanRecord(KIND_OF_TOPIC[e.topic], record, createCleanPolicy(), nowMs)
    if (result.kind !== 'rejection') partitions[partition]!.push(result)
  })
  const anomalies = new Map<string, Anomaly>()
  for (const events of partitions) {
    const state = createDetectorState()
    for (let i = 0; i < events.length; i += BATCH) {
      for (const change of detect(state, events.slice(i, i + BATCH), DEFAULT_RULES).changes) {
        anomalies.set(change.anomaly.id, change.anomaly)
      }
    }
    // an hour later by the wall clock: every episode is evaluated to its end
    for (const change of advanceTime(state, nowMs + 3_600_000, DEFAULT_RULES).changes) {
      anomalies.set(change.anomaly.id, change.anomaly)
    }
  }
  const found = [...anomalies.values()].map((a) => ({
    rule: a.rule,
    key: a.key,
    firstSeenMs: a.firstSeenMs,
    lastSeenMs: a.lastSeenMs,
    eventCount: a.eventCount,
    peak: a.value,
  }))
  const injected = stream.manifest().anomalies.map(({ id: _id, ...rest }) => rest)
  const order = (a: { firstSeenMs: number; rule: string; key: string }, b: typeof a) =>
    a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key)
  return { found: found.sort(order), injected: injected.sort(order) }
}

describe('the manifest and the detector', () => {
  it.each<[string, Partial<EventStreamOptions>, number]>([
    ['50/s for 40 minutes', { seed: 31, eventRatePerSecond: 50, anomalyRatio: 0.003 }, 120_000],
    [
      '500/s with malformed messages',
      { seed: 32, eventRatePerSecond: 500, anomalyRatio: 0.001, malformedRatio: 0.02 },
      100_000,
    ],
    ['5000/s for 12 seconds', { seed: 42, eventRatePerSecond: 5_000, anomalyRatio: 0.001 }, 60_000],
  ])('agree exactly (%s)', (_, options, count) => {
    const { found, injected } = detectAll(
      { seed: 0, startMs: START_MS, eventRatePerSecond: 100, ...options },
      count,
    )
    expect(injected.length).toBeGreaterThan(0)
    expect(found).toEqual(injected)
  })
})
