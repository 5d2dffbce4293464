import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NATURAL_LIMITS, THRESHOLDS } from './anomaly-spec.ts'
import { SERVICES } from './catalog.ts'
import { createEventStream, type EventStreamOptions, type GeneratedEvent } from './event-stream.ts'

const START_MS = Date.UTC(2025, 0, 1, 10, 0, 0)

const aStream = (options: Partial<EventStreamOptions> = {}) =>
  createEventStream({ seed: 7, startMs: START_MS, eventRatePerSecond: 100, ...options })

const parse = (event: GeneratedEvent) => JSON.parse(event.value as string) as Record<string, unknown>
const ofTopic = (events: GeneratedEvent[], topic: string) => events.filter((e) => e.topic === topic)

describe('createEventStream', () => {
  it('gives identical messages for the same seed and start, and different ones otherwise', () => {
    const options = { seed: 42, anomalyRatio: 0.01, malformedRatio: 0.05, eventRatePerSecond: 500 }
    const a = aStream(options).take(20_000)
    const b = aStream(options).take(20_000)
    expect(b).toEqual(a)
    expect(aStream(options).manifest()).toEqual(aStream(options).manifest())
    const otherSeed = aStream({ ...options, seed: 43 }).take(1_000)
    const otherStart = aStream({ ...options, startMs: START_MS + 1 }).take(1_000)
    expect(otherSeed.map((e) => e.value)).not.toEqual(a.slice(0, 1_000).map((e) => e.value))
    expect(otherStart.map((e) => e.value)).not.toEqual(a.slice(0, 1_000).map((e) => e.value))
  })

  it('is the same whether taken one by one, in batches or iterated', () => {
    const byBatch = aStream({ anomalyRatio: 0.01 }).take(3_000)
    const single = aStream({ anomalyRatio: 0.01 })
    const oneByOne = Array.from({ length: 3_000 }, () => single.next())
    const iterated: GeneratedEvent[] = []
    for (const event of aStream({ anomalyRatio: 0.01 })) {
      iterated.push(event)
      if (iterated.length === 3_000) break
    }
    expect(oneByOne).toEqual(byBatch)
    expect(iterated).toEqual(byBatch)
  })

  it('writes the wire formats exactly, keyed by service or user', () => {
    const events = aStream({ eventIds: false }).take(5_000)
    for (const event of events) {
      const value = parse(event)
      expect(value['timestamp']).toBe(new Date(event.eventTimeMs).toISOString())
      switch (event.topic) {
        case 'logs':
          expect(Object.keys(value)).toEqual(
            value['user_id'] === undefined
              ? ['timestamp', 'service', 'level', 'message']
              : ['timestamp', 'service', 'level', 'message', 'user_id'],
          )
          expect(event.key).toBe(value['service'])
          expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(value['level'])
          break
        case 'metrics':
          expect(Object.keys(value)).toEqual(['timestamp', 'service', 'cpu', 'latency_ms'])
          expect(event.key).toBe(value['service'])
          break
        case 'transactions':
          expect(Object.keys(value)).toEqual([
            'timestamp',
            'transaction_id',
            'user_id',
            'amount',
            'currency',
            'merchant',
            'status',
          ])
          expect(event.key).toBe(value['user_id'])
          expect(value['user_id']).toMatch(/^u-(?!0000)\d{4}$/)
          expect(Number(String(value['user_id']).slice(2))).toBeLessThanOrEqual(5000)
          expect(value['amount']).toBe(Math.round((value['amount'] as number) * 100) / 100)
          break
      }
      if (event.topic !== 'transactions') expect(SERVICES).toContain(event.key)
    }
    expect(new Set(events.map((e) => e.topic))).toEqual(new Set(['logs', 'metrics', 'transactions']))
  })

  it('adds a deterministic, unique event_id when asked', () => {
    const events = aStream({ eventIds: true }).take(2_000)
    const ids = events.map((e) => parse(e)['event_id'])
    expect(new Set(ids).size).toBe(2_000)
    expect(Object.keys(parse(events[0]!))[0]).toBe('event_id')
    expect(
      aStream({ eventIds: true })
        .take(2_000)
        .map((e) => parse(e)['event_id']),
    ).toEqual(ids)
    expect(aStream({ eventIds: true, seed: 8 }).next()).not.toEqual(events[0])
  })

  it.each([
    [100, 10_000],
    [5_000, 10_000],
    [3, 100],
  ])('advances event time at %i messages per second', (eventRatePerSecond, count) => {
    const stream = aStream({ eventRatePerSecond })
    const events = stream.take(count)
    events.forEach((e, n) => {
      expect(e.eventTimeMs).toBe(START_MS + Math.floor((n * 1000) / eventRatePerSecond))
    })
    expect(stream.nextEventTimeMs()).toBe(START_MS + Math.floor((count * 1000) / eventRatePerSecond))
    expect(stream.manifest().lastEventTimeMs).toBe(events.at(-1)!.eventTimeMs)
  })

  it('reports one metric per service every second of event time', () => {
    const events = aStream({ eventRatePerSecond: 200 }).take(200 * 60)
    const metrics = ofTopic(events, 'metrics')
    expect(metrics).toHaveLength(60 * SERVICES.length)
    for (const service of SERVICES) {
      const seconds = metrics
        .filter((m) => m.key === service)
        .map((m) => Math.floor((m.eventTimeMs - START_MS) / 1000))
      expect(seconds).toEqual(Array.from({ length: 60 }, (_, i) => i))
    }
  })

  it.each([
    [['logs'] as const],
    [['metrics'] as const],
    [['transactions'] as const],
    [['logs', 'transactions'] as const],
    [['metrics', 'transactions'] as const],
  ])('produces only the topics asked for: %j', (topics) => {
    const stream = aStream({ topics, anomalyRatio: 0.05, malformedRatio: 0.05 })
    const events = stream.take(20_000)
    expect(new Set(events.map((e) => e.topic))).toEqual(new Set(topics))
    expect(stream.manifest().anomalies.length).toBeGreaterThan(0)
  })

  it('keeps natural values strictly below every threshold over 100,000 events', () => {
    // 20 messages a second: 100,000 messages are 83 minutes of event time, 40,000 metric readings
    const events = aStream({ seed: 1234, eventRatePerSecond: 20 }).take(100_000)
    const metrics = ofTopic(events, 'metrics').map(parse)
    const cpus = metrics.map((m) => m['cpu'] as number)
    const latencies = metrics.map((m) => m['latency_ms'] as number)
    const amounts = ofTopic(events, 'transactions').map((t) => parse(t)['amount'] as number)
    expect(Math.max(...cpus)).toBeLessThanOrEqual(NATURAL_LIMITS.cpuPercent)
    expect(Math.min(...cpus)).toBeGreaterThan(0)
    expect(Math.max(...latencies)).toBeLessThanOrEqual(NATURAL_LIMITS.latencyMs)
    expect(Math.min(...latencies)).toBeGreaterThan(0)
    expect(Math.max(...amounts)).toBeLessThanOrEqual(NATURAL_LIMITS.amount)
    expect(Math.min(...amounts)).toBeGreaterThan(0)
    // the walk does move: spread, and small spikes well above the typical value
    expect(new Set(cpus).size).toBeGreaterThan(500)
    expect(Math.max(...cpus) - median(cpus)).toBeGreaterThan(20)
    // heavy tail: the largest amounts are far above the median
    expect(percentile(amounts, 0.999)).toBeGreaterThan(20 * median(amounts))
    expect(maxNaturalErrorsPerWindow(events)).toBeLessThanOrEqual(NATURAL_LIMITS.errorsPerWindow)
  })

  it('drifts latency with cpu', () => {
    const metrics = ofTopic(aStream({ seed: 99, eventRatePerSecond: 20 }).take(40_000), 'metrics')
    for (const service of SERVICES) {
      const readings = metrics.filter((m) => m.key === service).map(parse)
      const r = correlation(
        readings.map((m) => m['cpu'] as number),
        readings.map((m) => m['latency_ms'] as number),
      )
      expect(r, service).toBeGreaterThan(0.5)
    }
  })

  it('mixes levels, currencies and statuses as real traffic does', () => {
    const events = aStream({ seed: 5, eventRatePerSecond: 1_000 }).take(50_000)
    const logs = ofTopic(events, 'logs').map(parse)
    const share = (values: unknown[], value: unknown) =>
      values.filter((v) => v === value).length / values.length
    const levels = logs.map((l) => l['level'])
    expect(share(levels, 'INFO')).toBeGreaterThan(0.6)
    expect(share(levels, 'DEBUG')).toBeGreaterThan(0.05)
    expect(share(levels, 'WARN')).toBeGreaterThan(0.05)
    expect(share(levels, 'ERROR')).toBeGreaterThan(0)
    expect(share(levels, 'ERROR')).toBeLessThan(0.01)
    const transactions = ofTopic(events, 'transactions').map(parse)
    const currencies = transactions.map((t) => t['currency'])
    expect(share(currencies, 'USD') + share(currencies, 'EUR') + share(currencies, 'GBP')).toBeGreaterThan(
      0.85,
    )
    expect(new Set(transactions.map((t) => t['status']))).toEqual(
      new Set(['approved', 'declined', 'pending']),
    )
    expect(
      share(
        transactions.map((t) => t['status']),
        'approved',
      ),
    ).toBeGreaterThan(0.8)
    expect(new Set(transactions.map((t) => t['merchant'])).size).toBeGreaterThan(10)
  })

  it('never lets an event outside an injection cross a threshold, whatever the seed and rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (seed, eventRatePerSecond, anomalyRatio) => {
          const events = aStream({ seed, eventRatePerSecond, anomalyRatio }).take(3_000)
          for (const event of events) {
            if (event.injected !== undefined) continue
            const value = parse(event)
            if (event.topic === 'metrics') {
              expect(value['cpu']).toBeLessThanOrEqual(THRESHOLDS.cpuPercent)
              expect(value['latency_ms']).toBeLessThanOrEqual(THRESHOLDS.latencyMs)
            }
            if (event.topic === 'transactions') expect(value['amount']).toBeLessThanOrEqual(THRESHOLDS.amount)
          }
          expect(maxNaturalErrorsPerWindow(events)).toBeLessThanOrEqual(NATURAL_LIMITS.errorsPerWindow)
        },
      ),
      { numRuns: 40 },
    )
  })

  it.each([
    [{ seed: -1 }],
    [{ seed: 2 ** 32 }],
    [{ seed: 1.5 }],
    [{ eventRatePerSecond: 0 }],
    [{ topics: [] }],
  ])('refuses options it cannot honour: %j', (options) => {
    expect(() => aStream(options)).toThrow(RangeError)
  })
})

/** Most natural ERROR logs of one service within any 60 s window: (t - 60 s, t]. */
function maxNaturalErrorsPerWindow(events: GeneratedEvent[]): number {
  const times = new Map<string, number[]>()
  let max = 0
  for (const event of events) {
    if (event.topic !== 'logs' || event.malformed || event.injected) continue
    if (parse(event)['level'] !== 'ERROR') continue
    const list = times.get(event.key) ?? []
    list.push(event.eventTimeMs)
    times.set(event.key, list)
    const inWindow = list.filter((t) => t > event.eventTimeMs - THRESHOLDS.errorBurst.windowMs).length
    max = Math.max(max, inWindow)
  }
  return max
}

function median(values: number[]): number {
  return percentile(values, 0.5)
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(p * (sorted.length - 1))]!
}

function correlation(xs: number[], ys: number[]): number {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
  const mx = mean(xs)
  const my = mean(ys)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
    syy += (ys[i]! - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}
