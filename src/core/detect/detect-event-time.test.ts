// Event time: lateness, arrival order, the watermark, advanceTime, ids, and what a call reports.
// (Silent keys and passTime: detect-silent-keys.test.ts.)
import { describe, expect, it } from 'vitest'
import { anomalyId } from './anomaly.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import { advanceTime, detect } from './detect.ts'
import { createDetectorState } from './detector-state.ts'
import type { Rule } from './rule.ts'
import { aLog, aMetric, min, run, sec, T0 } from './test-builders.ts'

const errorAt = (atMs: number, fields = {}) => aLog({ level: 'ERROR', tsMs: T0 + atMs, ...fields })

describe('lateness', () => {
  it('counts and ignores an event older than the watermark', () => {
    const { anomalies, lateEvents } = run(
      [[aMetric({ tsMs: T0 + sec(60) }), aMetric({ tsMs: T0, cpu: 99 })]],
      {
        rules: DEFAULT_RULES,
      },
    )
    expect([anomalies, lateEvents]).toEqual([[], 1])
  })

  it.each([
    ['at the watermark: on time', sec(30), 0, 1],
    ['1 ms before it: late', sec(30) + 1, 1, 0],
  ])('an event %s', (_, behindMs, late, found) => {
    const events = [aMetric({ tsMs: T0 + behindMs }), aMetric({ tsMs: T0, cpu: 99 })]
    const result = run([events], { rules: DEFAULT_RULES, allowedLatenessMs: sec(30) })
    expect([result.lateEvents, result.anomalies.length]).toEqual([late, found])
  })

  it('does not let a late error complete a burst', () => {
    const onTime = Array.from({ length: 20 }, (_, i) => errorAt(sec(40 + i)))
    const { anomalies, lateEvents } = run([[...onTime, errorAt(sec(5))]], { rules: DEFAULT_RULES })
    expect([anomalies, lateEvents]).toEqual([[], 1])
  })

  it('gives the same anomalies for out-of-order events within the lateness', () => {
    const inOrder = Array.from({ length: 21 }, (_, i) => errorAt(sec(i)))
    const shuffled = [...inOrder.slice(10), ...inOrder.slice(0, 10)]
    const a = run([inOrder], { rules: DEFAULT_RULES })
    const b = run([shuffled], { rules: DEFAULT_RULES })
    expect(b.lateEvents).toBe(0)
    expect(b.anomalies).toEqual(a.anomalies)
    expect(a.anomalies).toEqual([expect.objectContaining({ firstSeenMs: T0 + sec(20), eventCount: 21 })])
  })

  it('counts a copy of an event (same id and time) once', () => {
    const burst = Array.from({ length: 20 }, (_, i) => errorAt(sec(i)))
    expect(run([[...burst, burst[3]!]], { rules: DEFAULT_RULES }).anomalies).toEqual([])
    expect(run([[...burst, errorAt(sec(3))]], { rules: DEFAULT_RULES }).anomalies).toHaveLength(1)
  })

  it('orders events at one instant by id, whatever their arrival order', () => {
    const rules: Rule[] = [{ ...(DEFAULT_RULES[0] as Rule & { kind: 'count' }), threshold: 1 }]
    const [a, b] = [errorAt(0, { eventId: 'a' }), errorAt(0, { eventId: 'b' })]
    expect(run([[b, a]], { rules }).anomalies).toEqual(run([[a, b]], { rules }).anomalies)
  })
})

describe('the watermark', () => {
  it('waits to evaluate events until no on-time event can come before them', () => {
    const state = createDetectorState()
    const first = detect(state, [aMetric({ tsMs: T0, cpu: 99 })], DEFAULT_RULES, {
      allowedLatenessMs: sec(30),
    })
    const key = () => state.rules.get('high_cpu')!.keys.get('inventory-api')!
    expect([first.changes, key().watermarkMs]).toEqual([[], T0 - sec(30)])
    const second = detect(state, [aMetric({ tsMs: T0 + sec(30) })], DEFAULT_RULES, {
      allowedLatenessMs: sec(30),
    })
    expect(second.changes).toEqual([])
    const third = detect(state, [aMetric({ tsMs: T0 + sec(30) + 1 })], DEFAULT_RULES, {
      allowedLatenessMs: sec(30),
    })
    expect(third.changes.map((c) => c.type)).toEqual(['opened'])
  })

  it('never moves back, even when the lateness grows', () => {
    const state = createDetectorState()
    detect(state, [aMetric({ tsMs: T0, cpu: 99 })], DEFAULT_RULES, { allowedLatenessMs: 0 })
    detect(state, [aMetric({ tsMs: T0 + 1, cpu: 99 })], DEFAULT_RULES, { allowedLatenessMs: min(1) })
    expect(state.rules.get('high_cpu')!.keys.get('inventory-api')!.watermarkMs).toBe(T0)
  })
})

describe('advanceTime: every key to an event time', () => {
  const options = { allowedLatenessMs: sec(30), idleGraceMs: sec(60) }
  const spiked = () => {
    const state = createDetectorState()
    detect(state, [aMetric({ tsMs: T0, cpu: 95 })], DEFAULT_RULES, options)
    return state
  }

  it('opens and resolves by the wall clock once it is past the last event by lateness and grace', () => {
    const state = spiked()
    expect(advanceTime(state, T0 + sec(90), DEFAULT_RULES, options).changes).toEqual([])
    expect(advanceTime(state, T0 + sec(90) + 1, DEFAULT_RULES, options).changes.map((c) => c.type)).toEqual([
      'opened',
    ])
    const endOfQuiet = T0 + min(5) + sec(90)
    expect(advanceTime(state, endOfQuiet - 1, DEFAULT_RULES, options).changes).toEqual([])
    const resolved = advanceTime(state, endOfQuiet, DEFAULT_RULES, options).changes
    expect(resolved).toEqual([
      {
        type: 'resolved',
        anomaly: expect.objectContaining({ status: 'resolved', resolvedAtMs: T0 + min(5) }),
      },
    ])
  })

  it('makes later events of a key it moved, older than its new watermark, late', () => {
    const state = spiked()
    advanceTime(state, T0 + min(2), DEFAULT_RULES, options)
    expect(detect(state, [aMetric({ tsMs: T0 + sec(20) })], DEFAULT_RULES, options).lateEvents).toBe(1)
  })

  it('leaves a partition that never saw an event alone', () => {
    const state = createDetectorState()
    expect(advanceTime(state, T0, DEFAULT_RULES, options).changes).toEqual([])
    expect(detect(state, [aMetric({ tsMs: T0 - min(60) })], DEFAULT_RULES, options).lateEvents).toBe(0)
  })
})

describe('anomaly ids', () => {
  it('are a function of rule, key and first event time', () => {
    const events = [aMetric({ tsMs: T0 + sec(5), cpu: 95, service: 'search' })]
    const [first] = run([events], { rules: DEFAULT_RULES }).anomalies
    const [again] = run([events.map((e) => ({ ...e, eventId: 'other' }))], { rules: DEFAULT_RULES }).anomalies
    expect(first!.id).toBe(anomalyId('high_cpu', 'search', T0 + sec(5)))
    expect(again!.id).toBe(first!.id)
  })

  it.each([
    ['rule', anomalyId('high_latency', 'search', T0)],
    ['key', anomalyId('high_cpu', 'searc', T0)],
    ['first event time', anomalyId('high_cpu', 'search', T0 + 1)],
    ['boundary between rule and key', anomalyId('high_cpus', 'earch', T0)],
  ])('differ by %s', (_, other) => {
    expect(other).not.toBe(anomalyId('high_cpu', 'search', T0))
  })
})

describe('changes reported by one call', () => {
  it('reports one change per anomaly, in its state at the end of the call', () => {
    const spikes = [
      aMetric({ tsMs: T0, cpu: 90 }),
      aMetric({ tsMs: T0 + sec(10), cpu: 96 }),
      aMetric({ tsMs: T0 + min(6), cpu: 40 }),
    ]
    const { changes } = run([spikes], { rules: DEFAULT_RULES })
    expect(changes[0]).toEqual([
      { type: 'opened', anomaly: expect.objectContaining({ status: 'resolved', eventCount: 2, value: 96 }) },
    ])
  })

  it('reports opened, then updated, then resolved across calls', () => {
    const batches = [
      [aMetric({ tsMs: T0, cpu: 90 }), aMetric({ tsMs: T0 + sec(31) })],
      [aMetric({ tsMs: T0 + sec(40), cpu: 91 }), aMetric({ tsMs: T0 + sec(71) })],
      [aMetric({ tsMs: T0 + min(7) })],
    ]
    const { changes } = run(batches, { rules: DEFAULT_RULES })
    expect(changes.map((batch) => batch.map((c) => c.type))).toEqual([
      ['opened'],
      ['updated'],
      ['resolved'],
      [],
    ])
  })

  it('does not let a reported anomaly change afterwards', () => {
    const state = createDetectorState()
    const options = { allowedLatenessMs: 0 }
    const opened = detect(
      state,
      [aMetric({ tsMs: T0, cpu: 90 }), aMetric({ tsMs: T0 + 1 })],
      DEFAULT_RULES,
      options,
    )
    detect(state, [aMetric({ tsMs: T0 + 2, cpu: 99 }), aMetric({ tsMs: T0 + 3 })], DEFAULT_RULES, options)
    expect(opened.changes[0]!.anomaly).toMatchObject({ value: 90, eventCount: 1 })
  })
})

describe('state over time', () => {
  it('drops keys that went idle past the window and the quiet period', () => {
    const services = Array.from({ length: 50 }, (_, i) => errorAt(sec(i % 10), { service: `svc-${i}` }))
    const { state } = run([services], { rules: DEFAULT_RULES, untilMs: T0 + sec(10) })
    expect(state.rules.get('error_burst')!.keys.size).toBe(50)
    const later = run([[aLog({ tsMs: T0 + min(10) })]], { rules: DEFAULT_RULES, state })
    expect(later.state.rules.get('error_burst')!.keys.size).toBe(0)
  })

  // Keys are swept at most every 10 s of event time; these place a sweep between two events of a key.
  it('keeps a key whose window still holds events after its quiet period', () => {
    const rules: Rule[] = [
      {
        kind: 'count',
        name: 'logs',
        topic: 'logs',
        keyBy: 'service',
        windowMs: min(1),
        threshold: 2,
        quietPeriodMs: sec(10),
        severity: 'info',
      },
    ]
    const batches = [
      [aLog({ tsMs: T0 }), aLog({ tsMs: T0 + sec(1) })],
      [aLog({ tsMs: T0 + sec(15), service: 'other' })],
      [aLog({ tsMs: T0 + sec(21) })],
    ]
    expect(run(batches, { rules, allowedLatenessMs: 0 }).anomalies).toEqual([
      expect.objectContaining({ key: 'auth-service', value: 3 }),
    ])
  })

  it('keeps a for-streak whose next reading comes within the quiet period', () => {
    const rules: Rule[] = [
      {
        kind: 'threshold',
        name: 'cpu',
        topic: 'metrics',
        field: 'cpu',
        comparator: '>',
        value: 85,
        keyBy: 'service',
        forMs: sec(30),
        quietPeriodMs: sec(60),
        severity: 'info',
      },
    ]
    const batches = [
      [aMetric({ tsMs: T0, cpu: 90 })],
      [aMetric({ tsMs: T0 + sec(89.5), service: 'other' })],
      [aMetric({ tsMs: T0 + sec(59.9), cpu: 90 })],
    ]
    const { anomalies, lateEvents } = run(batches, { rules })
    expect([lateEvents, anomalies]).toEqual([
      0,
      [expect.objectContaining({ firstSeenMs: T0 + sec(59.9), eventCount: 2 })],
    ])
  })

  it('resolves the open episodes of a rule that was removed, then forgets the rule', () => {
    const { state } = run([[aMetric({ tsMs: T0, cpu: 95 })]], { rules: DEFAULT_RULES })
    const without = DEFAULT_RULES.filter((r) => r.name !== 'high_cpu')
    const later = run([[aMetric({ tsMs: T0 + min(6), cpu: 99 })]], { rules: without, state })
    expect(later.changes.flat()).toEqual([
      { type: 'resolved', anomaly: expect.objectContaining({ rule: 'high_cpu', resolvedAtMs: T0 + min(5) }) },
    ])
    expect(later.state.rules.has('high_cpu')).toBe(false)
  })

  it('starts the windows of a changed rule afresh and keeps its open episode', () => {
    const errors = (fromMs: number, count: number) =>
      Array.from({ length: count }, (_, i) => errorAt(fromMs + i * 100))
    const { state } = run([errors(0, 21)], { rules: DEFAULT_RULES })
    const stricter: Rule[] = [{ ...(DEFAULT_RULES[0] as Rule & { kind: 'count' }), threshold: 5 }]
    // Counting restarts: the 6th new error fires (6 > 5) and adds the 6 of its window.
    const later = run([errors(sec(10), 6)], { rules: stricter, state })
    expect(later.anomalies).toEqual([
      expect.objectContaining({
        firstSeenMs: T0 + 2_000,
        lastSeenMs: T0 + sec(10) + 500,
        threshold: 20,
        eventCount: 27,
      }),
    ])
  })
})
