// Keys that go silent (passTime): their buffers are evaluated after the idle grace, their episodes
// resolve by the live time they have been silent, they are forgotten once they hold nothing; and
// none of it depends on how far a key's clock is from another's.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import type { Anomaly } from './anomaly.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import { detect, passTime } from './detect.ts'
import { createDetectorState, type PartitionDetectorState } from './detector-state.ts'
import { aLog, foldChanges, min, sec, sortedAnomalies, T0 } from './test-builders.ts'

const options = { allowedLatenessMs: sec(1), idleGraceMs: sec(1) }
const errorsAt = (service: string, fromMs: number, count: number, stepMs = 500) =>
  Array.from({ length: count }, (_, i) => aLog({ service, level: 'ERROR', tsMs: fromMs + i * stepMs }))

/** Feeds a partition as the etl does: per batch, the live time since the last one, then its events. */
function feed(
  steps: readonly { elapsedMs: number; events?: readonly Event[] }[],
  state = createDetectorState(),
) {
  const folded = new Map<string, Anomaly>()
  const changes: string[][] = []
  let lateEvents = 0
  for (const { elapsedMs, events = [] } of steps) {
    const passed = passTime(state, elapsedMs, DEFAULT_RULES, options)
    const detected = detect(state, events, DEFAULT_RULES, options)
    foldChanges([...passed.changes, ...detected.changes], folded)
    changes.push([...passed.changes, ...detected.changes].map((c) => `${c.type} ${c.anomaly.key}`))
    lateEvents += detected.lateEvents
  }
  return { anomalies: sortedAnomalies(folded), changes, lateEvents, state }
}

const keysOf = (state: PartitionDetectorState) => state.rules.get('error_burst')!.keys.size

describe('a key that goes silent', () => {
  it('has its last events evaluated once silent for the idle grace, not before', () => {
    const { changes } = feed([
      { elapsedMs: 0, events: errorsAt('api', T0, 21) },
      { elapsedMs: sec(0.9) },
      { elapsedMs: sec(0.1) },
    ])
    expect(changes).toEqual([[], [], ['opened api']])
  })

  it('has its episode resolved by its silence: grace + lateness + what was left of the quiet period', () => {
    // the burst's last firing is at T0 + 10 s, the newest event too: resolvedAt = T0 + 5 min 10 s
    const steps = [{ elapsedMs: 0, events: errorsAt('api', T0, 21) }]
    const silentMs = min(5) + sec(1) + sec(1)
    const before = feed([...steps, { elapsedMs: silentMs - 1 }])
    expect(before.anomalies.map((a) => a.status)).toEqual(['open'])
    const after = feed([...steps, { elapsedMs: silentMs }])
    expect(after.anomalies).toEqual([
      expect.objectContaining({ status: 'resolved', resolvedAtMs: T0 + sec(10) + min(5), eventCount: 21 }),
    ])
    expect(keysOf(after.state)).toBe(0)
  })

  it('makes its events older than its newest late once it was silent for the grace', () => {
    const { lateEvents } = feed([
      { elapsedMs: 0, events: errorsAt('api', T0, 3) },
      { elapsedMs: sec(2), events: [aLog({ service: 'api', level: 'ERROR', tsMs: T0 + 500 })] },
    ])
    expect(lateEvents).toBe(1)
  })

  it('accepts its backlog: 15 minutes of events newer than its last, delivered after 15 minutes of silence', () => {
    const live = errorsAt('api', T0, 5, sec(1))
    const backlog = [...errorsAt('api', T0 + min(3), 21), ...errorsAt('api', T0 + min(12), 21)]
    const { anomalies, lateEvents } = feed([
      { elapsedMs: 0, events: live },
      ...Array.from({ length: 15 }, () => ({ elapsedMs: min(1), events: [aLog({ service: 'web' })] })),
      { elapsedMs: sec(1), events: backlog },
      { elapsedMs: min(10) },
    ])
    expect(lateEvents).toBe(0)
    expect(anomalies.map((a) => [a.firstSeenMs, a.eventCount, a.status])).toEqual([
      [T0 + min(3) + sec(10), 21, 'resolved'],
      [T0 + min(12) + sec(10), 21, 'resolved'],
    ])
  })

  it('is forgotten once it holds nothing, so that 10,000 keys that sent once leave nothing behind', () => {
    const once = Array.from({ length: 10_000 }, (_, i) => aLog({ service: `svc-${i}`, level: 'ERROR' }))
    const { state } = feed([{ elapsedMs: 0, events: once }])
    expect(keysOf(state)).toBe(10_000)
    passTime(state, sec(2), DEFAULT_RULES, options)
    expect(keysOf(state)).toBe(10_000) // their one error is still in the window
    passTime(state, min(1), DEFAULT_RULES, options)
    expect(keysOf(state)).toBe(0)
  })
})

describe('clocks that disagree', () => {
  // A key 10 min behind, firing every 2 min for 20 min (one episode: the quiet period is 5 min),
  // while a key 10 min ahead sends every second: a batch per second of live time.
  const slowAndFast = () =>
    Array.from({ length: 20 * 60 }, (_, second) => {
      const events: Event[] = [aLog({ service: 'fast', tsMs: T0 + min(10) + sec(second) })]
      if (second % 120 === 0) events.push(...errorsAt('slow', T0 - min(10) + sec(second), 21, 10))
      else events.push(aLog({ service: 'slow', tsMs: T0 - min(10) + sec(second) }))
      return { elapsedMs: sec(1), events }
    })

  it('never resolves a live key early, however far behind the others its clock is', () => {
    const { anomalies, lateEvents } = feed(slowAndFast())
    expect(lateEvents).toBe(0)
    expect(anomalies.map((a) => [a.key, a.firstSeenMs, a.status])).toEqual([
      ['slow', T0 - min(10) + 200, 'open'],
    ])
  })

  it('resolves it by its own silence when it stops, whatever the other key does', () => {
    const steps = slowAndFast()
    const fastOnly = Array.from({ length: 7 * 60 }, (_, second) => ({
      elapsedMs: sec(1),
      events: [aLog({ service: 'fast', tsMs: T0 + min(30) + sec(second) })],
    }))
    const { anomalies } = feed([...steps, ...fastOnly])
    // last firing at 18 min of its clock; silence needed: 5 min - the 2 min to its last event + grace + lateness
    expect(anomalies).toEqual([
      expect.objectContaining({
        key: 'slow',
        status: 'resolved',
        lastSeenMs: T0 - min(10) + min(18) + 200,
        resolvedAtMs: T0 - min(10) + min(23) + 200,
      }),
    ])
  })
})
