// The manifest must say exactly what a detector working to the spec finds in the stream. The
// reference detector below is written naively and independently of the generator: it sees only the
// events that the real cleaner accepts, as the etl would.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import { KIND_OF_TOPIC } from '../../contracts/topics.ts'
import { cleanRecord, createCleanPolicy } from '../clean/index.ts'
import type { AnomalyEpisode } from './anomaly-injector.ts'
import { type AnomalyRule, INJECTION_SPACING_MS, THRESHOLDS } from './anomaly-spec.ts'
import { createEventStream, type EventStreamOptions, type GeneratedEvent } from './event-stream.ts'

const START_MS = Date.UTC(2025, 0, 1, 10, 0, 0)
const policy = createCleanPolicy()

type Found = Omit<AnomalyEpisode, 'id'>

function cleanAll(events: GeneratedEvent[]): Event[] {
  const nowMs = events.at(-1)!.eventTimeMs
  const encoder = new TextEncoder()
  const out: Event[] = []
  events.forEach((e, offset) => {
    const value = typeof e.value === 'string' ? encoder.encode(e.value) : e.value
    const record = { topic: e.topic, partition: 0, offset, key: encoder.encode(e.key), value }
    const result = cleanRecord(KIND_OF_TOPIC[e.topic], record, policy, nowMs)
    if (result.kind !== 'rejection') out.push(result)
  })
  return out
}

/**
 * The rules as written in the spec, over events in event-time order. An episode's eventCount is
 * the readings that held, or for error_burst the ERROR logs counted in a window that held.
 */
function detect(events: Event[]): Found[] {
  const done: Found[] = []
  const open = new Map<string, Found>()
  const errors = new Map<string, { tsMs: number; counted: boolean }[]>()
  const hold = (rule: AnomalyRule, key: string, tsMs: number, value: number, newEvents = 1) => {
    const id = `${rule}/${key}`
    let episode = open.get(id)
    if (episode && tsMs - episode.lastSeenMs >= THRESHOLDS.quietMs) {
      done.push(episode)
      episode = undefined
    }
    if (!episode) {
      episode = { rule, key, firstSeenMs: tsMs, lastSeenMs: tsMs, eventCount: 0, peak: value }
      open.set(id, episode)
    }
    episode.lastSeenMs = tsMs
    episode.eventCount += newEvents
    episode.peak = Math.max(episode.peak, value)
  }
  for (const event of events) {
    switch (event.kind) {
      case 'log': {
        if (event.level !== 'ERROR') break
        const window = (errors.get(event.service) ?? []).filter(
          (e) => e.tsMs > event.tsMs - THRESHOLDS.errorBurst.windowMs,
        )
        window.push({ tsMs: event.tsMs, counted: false })
        errors.set(event.service, window)
        if (window.length > THRESHOLDS.errorBurst.count) {
          const fresh = window.filter((e) => !e.counted)
          for (const e of fresh) e.counted = true
          hold('error_burst', event.service, event.tsMs, window.length, fresh.length)
        }
        break
      }
      case 'metric':
        if (event.cpu > THRESHOLDS.cpuPercent) hold('high_cpu', event.service, event.tsMs, event.cpu)
        if (event.latencyMs > THRESHOLDS.latencyMs)
          hold('high_latency', event.service, event.tsMs, event.latencyMs)
        break
      case 'transaction':
        if (event.amount > THRESHOLDS.amount)
          hold('large_transaction', event.transactionId, event.tsMs, event.amount)
        break
    }
  }
  return sortEpisodes([...done, ...open.values()])
}

function sortEpisodes<T extends Found>(episodes: T[]): T[] {
  return [...episodes].sort(
    (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
  )
}

const withoutId = ({ id: _id, ...rest }: AnomalyEpisode): Found => rest

describe('anomaly injection', () => {
  it.each<[string, Partial<EventStreamOptions>, number]>([
    ['50/s, all topics', { seed: 1, eventRatePerSecond: 50, anomalyRatio: 0.003 }, 120_000],
    [
      '200/s, with malformed messages',
      { seed: 2, eventRatePerSecond: 200, anomalyRatio: 0.001, malformedRatio: 0.02 },
      100_000,
    ],
    ['20/s, logs only', { seed: 3, eventRatePerSecond: 20, anomalyRatio: 0.01, topics: ['logs'] }, 60_000],
    [
      '10/s, metrics only',
      { seed: 4, eventRatePerSecond: 10, anomalyRatio: 0.01, topics: ['metrics'] },
      60_000,
    ],
    [
      '5000/s, eight seconds of event time',
      { seed: 5, eventRatePerSecond: 5_000, anomalyRatio: 0.001 },
      40_000,
    ],
  ])('describes exactly what a detector finds (%s)', (_, options, count) => {
    const stream = createEventStream({ seed: 0, startMs: START_MS, eventRatePerSecond: 100, ...options })
    const events = stream.take(count)
    const manifest = stream.manifest()
    expect(sortEpisodes(manifest.anomalies).map(withoutId)).toEqual(detect(cleanAll(events)))
    expect(manifest.anomalies.length).toBeGreaterThan(0)
    for (const rule of Object.keys(manifest.anomaliesByRule) as AnomalyRule[]) {
      expect(manifest.anomaliesByRule[rule]).toBe(manifest.anomalies.filter((a) => a.rule === rule).length)
    }
  })

  it('injects every kind, spaced per rule and key, each event tagged with its episode', () => {
    const stream = createEventStream({
      seed: 11,
      startMs: START_MS,
      eventRatePerSecond: 50,
      anomalyRatio: 0.003,
    })
    const events = stream.take(120_000)
    const { anomalies, anomaliesByRule, skippedInjections } = stream.manifest()
    for (const rule of ['error_burst', 'high_cpu', 'high_latency', 'large_transaction'] as const) {
      expect(anomaliesByRule[rule], rule).toBeGreaterThan(2)
    }
    expect(skippedInjections.error_burst + skippedInjections.cpu_spike).toBeGreaterThan(0)

    const byKey = Map.groupBy(anomalies, (a) => `${a.rule}/${a.key}`)
    for (const episodes of byKey.values()) {
      for (let i = 1; i < episodes.length; i++) {
        expect(episodes[i]!.firstSeenMs - episodes[i - 1]!.lastSeenMs).toBeGreaterThanOrEqual(
          INJECTION_SPACING_MS,
        )
      }
    }

    const tagged = Map.groupBy(
      events.filter((e) => e.injected !== undefined),
      (e) => e.injected!,
    )
    for (const episode of anomalies) {
      const own = tagged.get(episode.id) ?? []
      switch (episode.rule) {
        case 'error_burst':
          expect(own.length).toBe(episode.eventCount)
          expect(own.length).toBeLessThanOrEqual(40)
          expect(own.at(-1)!.eventTimeMs - own[0]!.eventTimeMs).toBeLessThanOrEqual(12_000)
          expect(episode.peak).toBe(own.length)
          expect(episode.firstSeenMs).toBe(own[THRESHOLDS.errorBurst.count]!.eventTimeMs)
          break
        case 'high_cpu':
        case 'high_latency':
          expect(own.length).toBe(episode.eventCount)
          expect(own.length).toBeGreaterThanOrEqual(3)
          expect(own.length).toBeLessThanOrEqual(10)
          expect(own.every((e) => e.key === episode.key && e.topic === 'metrics')).toBe(true)
          break
        case 'large_transaction': {
          expect(own).toHaveLength(1)
          const value = JSON.parse(own[0]!.value as string)
          expect(value.transaction_id).toBe(episode.key)
          expect(value.amount).toBe(episode.peak)
          expect(value.amount).toBeGreaterThan(10_000)
          expect(value.amount).toBeLessThanOrEqual(500_000)
          break
        }
      }
    }
  })

  it('keeps a spiking metric under the other threshold', () => {
    const stream = createEventStream({
      seed: 12,
      startMs: START_MS,
      eventRatePerSecond: 50,
      anomalyRatio: 0.003,
    })
    const spiked = stream
      .take(60_000)
      .filter((e) => e.topic === 'metrics' && e.injected !== undefined)
      .map((e) => JSON.parse(e.value as string))
    expect(spiked.length).toBeGreaterThan(20)
    for (const m of spiked) {
      if (m.cpu > THRESHOLDS.cpuPercent) {
        expect(m.cpu).toBeGreaterThanOrEqual(86)
        expect(m.cpu).toBeLessThanOrEqual(99)
        expect(m.latency_ms).toBeLessThan(THRESHOLDS.latencyMs)
      } else {
        expect(m.latency_ms).toBeGreaterThan(THRESHOLDS.latencyMs)
        expect(m.latency_ms).toBeLessThanOrEqual(1_500)
        expect(m.cpu).toBeLessThan(THRESHOLDS.cpuPercent)
      }
    }
  })

  it.each([
    [20, 60_000],
    [2_000, 60_000],
  ])('finds nothing in natural traffic at %i messages per second', (eventRatePerSecond, count) => {
    const events = createEventStream({ seed: 13, startMs: START_MS, eventRatePerSecond }).take(count)
    expect(detect(cleanAll(events))).toEqual([])
  })
})
