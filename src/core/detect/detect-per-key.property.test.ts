// Event time per key (fast-check): sources (services, users) share a partition with clocks that
// disagree by minutes or hours and deliveries that lag by as much (a backlog); each source's own
// events arrive out of order by no more than the lateness. Any interleaving of sources, any split
// into batches and any serialise/restore between batches give exactly the anomalies, ids
// included, of each source's sorted stream evaluated alone.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import type { Anomaly } from './anomaly.ts'
import { detect } from './detect.ts'
import { createDetectorState, type PartitionDetectorState } from './detector-state.ts'
import { byEventTime } from './model-anomalies.ts'
import type { Rule } from './rule.ts'
import { restoreState, serializeState } from './serialize-state.ts'
import {
  aLog,
  aMetric,
  aTransaction,
  foldChanges,
  min,
  run,
  sec,
  sortedAnomalies,
  T0,
} from './test-builders.ts'

const LATENESS_MS = sec(5)
const errorsOnly = [{ field: 'level', op: 'equals', value: 'ERROR' }] as const

const RULES: Rule[] = [
  {
    kind: 'count',
    name: 'burst',
    topic: 'logs',
    filter: errorsOnly,
    keyBy: 'service',
    windowMs: sec(10),
    threshold: 3,
    severity: 'critical',
    quietPeriodMs: sec(40),
  },
  {
    kind: 'threshold',
    name: 'cpu',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
    keyBy: 'service',
    severity: 'warning',
    quietPeriodMs: sec(30),
  },
  {
    kind: 'threshold',
    name: 'cpu_sustained',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>=',
    value: 85,
    keyBy: 'service',
    forMs: sec(15),
    recovery: 70,
    severity: 'critical',
    quietPeriodMs: sec(45),
  },
  {
    kind: 'event',
    name: 'big',
    topic: 'transactions',
    field: 'amount',
    comparator: '>',
    value: 1000,
    keyBy: 'transaction_id',
    severity: 'warning',
    quietPeriodMs: sec(60),
  },
  {
    kind: 'count',
    name: 'spree',
    topic: 'transactions',
    keyBy: 'user_id',
    windowMs: sec(30),
    threshold: 3,
    recovery: 2,
    severity: 'warning',
    quietPeriodMs: sec(20),
  },
]

const SOURCES = ['svc-a', 'svc-b', 'svc-c', 'user-1', 'user-2'] as const
type Source = (typeof SOURCES)[number]

/** Skews and delivery lags of minutes to hours, either way, or none. */
const offsetArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -min(20), max: min(20) }),
  fc.integer({ min: -min(180), max: min(180) }),
)

interface Planned {
  event: Event
  source: Source
  /** its time on a clock common to all sources, before the source's skew */
  trueMs: number
}

const eventArb = fc
  .record({
    atMs: fc.oneof(
      fc.integer({ min: 0, max: 180_000 }),
      fc.integer({ min: 0, max: 180 }).map((s) => s * 1000),
    ),
    source: fc.constantFrom(...SOURCES),
    level: fc.constantFrom('ERROR', 'ERROR', 'INFO'),
    cpu: fc.constantFrom(60, 75, 85, 90, 99),
    amount: fc.constantFrom(500, 2000),
    transaction: fc.constantFrom('t1', 't2', 't3'),
    isLog: fc.boolean(),
  })
  .map((f) => ({ ...f, transactionId: `${f.source}-${f.transaction}` }))

/** Events of each source, with unique ids and a few copies (same id, same time). */
const plannedArb = fc
  .tuple(
    fc.array(eventArb, { minLength: 1, maxLength: 200, size: 'max' }),
    fc.array(fc.nat(), { maxLength: 5 }),
    fc.array(offsetArb, { minLength: SOURCES.length, maxLength: SOURCES.length }),
  )
  .map(([drawn, copies, skews]) => {
    const planned: Planned[] = drawn.map((f, i) => {
      const skewMs = skews[SOURCES.indexOf(f.source)]!
      const tsMs = T0 + f.atMs + skewMs
      const eventId = `e${String(i).padStart(3, '0')}`
      const event: Event = f.source.startsWith('user')
        ? aTransaction({ eventId, tsMs, userId: f.source, transactionId: f.transactionId, amount: f.amount })
        : f.isLog
          ? aLog({ eventId, tsMs, service: f.source, level: f.level as 'ERROR' | 'INFO' })
          : aMetric({ eventId, tsMs, service: f.source, cpu: f.cpu })
      return { event, source: f.source, trueMs: f.atMs }
    })
    return [...planned, ...copies.map((i) => planned[i % planned.length]!)]
  })

/**
 * An arrival order: each event arrives at its true time + its source's delivery lag + a delay of
 * at most the lateness. Within a source that is out of order by no more than the lateness; between
 * sources, anything.
 */
const arrivalArb = plannedArb.chain((planned) =>
  fc
    .tuple(
      fc.array(offsetArb.map(Math.abs), { minLength: SOURCES.length, maxLength: SOURCES.length }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: LATENESS_MS }), fc.nat()), {
        minLength: planned.length,
        maxLength: planned.length,
      }),
    )
    .map(([lags, delays]) =>
      planned
        .map((p, i) => ({
          p,
          arrivalMs: p.trueMs + lags[SOURCES.indexOf(p.source)]! + delays[i]![0],
          tie: delays[i]![1],
        }))
        .sort((a, b) => a.arrivalMs - b.arrivalMs || a.tie - b.tie)
        .map((a) => a.p),
    ),
)

function cut<T>(items: readonly T[], at: readonly number[]): T[][] {
  const positions = [...new Set(at.map((f) => Math.floor(f * items.length)))].sort((a, b) => a - b)
  const batches: T[][] = []
  let from = 0
  for (const position of [...positions, items.length]) {
    batches.push(items.slice(from, position))
    from = position
  }
  return batches
}

/** Far past every event: the final flush resolves every episode, on both sides alike. */
const endOf = (events: readonly Event[]) => Math.max(...events.map((e) => e.tsMs)) + min(60)

/** Runs batches with a serialise -> JSON -> restore after those marked, then flushes. */
function runBatches(batches: Event[][], restartAfter: ReadonlySet<number>, untilMs: number) {
  let state: PartitionDetectorState = createDetectorState()
  const folded = new Map<string, Anomaly>()
  let lateEvents = 0
  for (const [i, batch] of batches.entries()) {
    const result = detect(state, batch, RULES, { allowedLatenessMs: LATENESS_MS })
    foldChanges(result.changes, folded)
    lateEvents += result.lateEvents
    if (!restartAfter.has(i)) continue
    const restored = restoreState(JSON.parse(JSON.stringify(serializeState(state))))
    if ('error' in restored) throw new Error(restored.error)
    state = restored.state
  }
  const rest = run([], { rules: RULES, state, allowedLatenessMs: LATENESS_MS, untilMs })
  foldChanges(
    rest.anomalies.map((anomaly) => ({ type: 'updated' as const, anomaly })),
    folded,
  )
  return { anomalies: sortedAnomalies(folded), lateEvents }
}

/** Each source's events sorted and run through a detector of their own. */
function eachSourceAlone(arrival: readonly Planned[], untilMs: number): Anomaly[] {
  const all = new Map<string, Anomaly>()
  for (const source of SOURCES) {
    const own = arrival.filter((p) => p.source === source).map((p) => p.event)
    if (own.length === 0) continue
    const alone = run([own.sort(byEventTime)], { rules: RULES, allowedLatenessMs: LATENESS_MS, untilMs })
    for (const anomaly of alone.anomalies) all.set(anomaly.id, anomaly)
  }
  return sortedAnomalies(all)
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 })

describe('event time per key', () => {
  it("gives each source's anomalies alone, whatever the skews, lags, interleaving, batches and restarts", () => {
    const rulesSeen = new Set<string>()
    fc.assert(
      fc.property(arrivalArb, fractions, fractions, (arrival, batchCuts, restartCuts) => {
        const events = arrival.map((p) => p.event)
        const untilMs = endOf(events)
        const expected = eachSourceAlone(arrival, untilMs)
        for (const anomaly of expected) rulesSeen.add(anomaly.rule)
        const batches = cut(events, batchCuts)
        const restartAfter = new Set(restartCuts.map((f) => Math.floor(f * batches.length)))
        const actual = runBatches(batches, restartAfter, untilMs)
        expect(actual.lateEvents).toBe(0)
        expect(actual.anomalies).toEqual(expected)
      }),
      { numRuns: 200 },
    )
    expect([...rulesSeen].sort()).toEqual(RULES.map((r) => r.name).sort())
  })

  it('counts as late, and ignores, only events older than their own key allows', () => {
    // svc-a runs 10 min behind svc-b; each sends a burst; then an error of svc-a 6 s behind its newest
    const burst = (service: string, fromMs: number) =>
      Array.from({ length: 4 }, (_, i) => aLog({ service, level: 'ERROR', tsMs: fromMs + sec(i) }))
    const events = [
      ...burst('svc-b', T0 + min(10)),
      ...burst('svc-a', T0),
      aLog({ service: 'svc-a', level: 'ERROR', tsMs: T0 + sec(3) - sec(6) }),
    ]
    const { anomalies, lateEvents } = run([events], { rules: RULES, allowedLatenessMs: LATENESS_MS })
    expect(lateEvents).toBe(1)
    expect(anomalies.map((a) => [a.key, a.firstSeenMs, a.eventCount])).toEqual([
      ['svc-a', T0 + sec(3), 4],
      ['svc-b', T0 + min(10) + sec(3), 4],
    ])
  })
})
