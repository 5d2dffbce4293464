// Properties of detection over event time (fast-check):
// - any arrival order within the allowed lateness, any split into batches, and a serialise/restore
//   between any two batches give the anomalies of the sorted stream in one batch;
// - late events change nothing: an arbitrary arrival order gives, rule by rule, the anomalies of the
//   events on time for their key (not older than the key's newest event so far - the lateness);
// (keys with skewed clocks and backlogs: detect-per-key.property.test.ts)
// - for rules without `for` and `recovery`, the anomalies equal a brute-force model of the semantics.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import type { Anomaly } from './anomaly.ts'
import { compileRules } from './compile-rules.ts'
import { detect } from './detect.ts'
import { createDetectorState, type PartitionDetectorState } from './detector-state.ts'
import { byEventTime, modelAnomalies } from './model-anomalies.ts'
import type { Rule } from './rule.ts'
import { restoreState, serializeState } from './serialize-state.ts'
import { aLog, aMetric, aTransaction, run, sec, T0 } from './test-builders.ts'

const sortAnomalies = (anomalies: Anomaly[]): Anomaly[] =>
  anomalies.sort(
    (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
  )

const LATENESS_MS = sec(30)
const errorsOnly = [{ field: 'level', op: 'equals', value: 'ERROR' }] as const

/** Small thresholds and quiet periods, so that short streams open, extend and resolve episodes. */
const SIMPLE_RULES: Rule[] = [
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
    kind: 'count',
    name: 'any_logs',
    topic: 'logs',
    keyBy: 'service',
    windowMs: sec(20),
    threshold: 5,
    comparator: '>=',
    severity: 'info',
    quietPeriodMs: sec(15),
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
    quietPeriodMs: sec(60),
  },
  {
    kind: 'threshold',
    name: 'fast',
    topic: 'metrics',
    field: 'latency_ms',
    comparator: '<=',
    value: 100,
    keyBy: 'service',
    severity: 'info',
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
]
const STATEFUL_RULES: Rule[] = [
  {
    kind: 'threshold',
    name: 'cpu_sustained',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>=',
    value: 85,
    keyBy: 'service',
    forMs: sec(20),
    recovery: 70,
    severity: 'critical',
    quietPeriodMs: sec(60),
  },
  {
    kind: 'count',
    name: 'burst_sustained',
    topic: 'logs',
    filter: errorsOnly,
    keyBy: 'service',
    windowMs: sec(10),
    threshold: 2,
    forMs: sec(5),
    recovery: 1,
    severity: 'critical',
    quietPeriodMs: sec(30),
  },
  {
    kind: 'count',
    name: 'user_spree',
    topic: 'transactions',
    keyBy: 'user_id',
    windowMs: sec(30),
    threshold: 3,
    recovery: 2,
    severity: 'warning',
  },
]
const ALL_RULES = [...SIMPLE_RULES, ...STATEFUL_RULES]

const eventArb = fc
  .record({
    atMs: fc.oneof(
      fc.integer({ min: 0, max: 240_000 }),
      fc.integer({ min: 0, max: 240 }).map((s) => s * 1000),
    ),
    kind: fc.constantFrom('log', 'metric', 'transaction'),
    service: fc.constantFrom('a', 'b'),
    level: fc.constantFrom('ERROR', 'ERROR', 'INFO'),
    cpu: fc.constantFrom(60, 75, 85, 90, 99),
    latencyMs: fc.constantFrom(50, 100, 250),
    amount: fc.constantFrom(500, 1000, 2000),
    transactionId: fc.constantFrom('t1', 't2', 't3'),
    userId: fc.constantFrom('u1', 'u2'),
  })
  .map(({ atMs, kind, ...f }): Omit<Event, 'eventId'> => {
    const tsMs = T0 + atMs
    if (kind === 'log') return aLog({ tsMs, service: f.service, level: f.level as 'ERROR' | 'INFO' })
    if (kind === 'metric') return aMetric({ tsMs, service: f.service, cpu: f.cpu, latencyMs: f.latencyMs })
    return aTransaction({ tsMs, amount: f.amount, transactionId: f.transactionId, userId: f.userId })
  })

/** Events with unique ids in random order; some are sent twice (a copy: same id, same time). */
const streamArb = fc
  .tuple(
    fc.array(eventArb, { minLength: 1, maxLength: 200, size: 'max' }),
    fc.array(fc.nat(), { maxLength: 5 }),
  )
  .map(([events, copies]) => {
    const unique = events.map((e, i) => ({ ...e, eventId: `e${String(i).padStart(3, '0')}` }) as Event)
    return [...unique, ...copies.map((i) => unique[i % unique.length]!)]
  })

/** An arrival order in which every event comes within the lateness: arrival = event time + delay <= lateness. */
const onTimeArrivalArb = streamArb.chain((events) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: LATENESS_MS }), fc.nat()), {
      minLength: events.length,
      maxLength: events.length,
    })
    .map((delays) =>
      events
        .map((event, i) => ({ event, arrivalMs: event.tsMs + delays[i]![0], tie: delays[i]![1] }))
        .sort((a, b) => a.arrivalMs - b.arrivalMs || a.tie - b.tie)
        .map((a) => a.event),
    ),
)

/** Cuts a list into batches at the given positions (fractions of its length). */
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

/** Runs batches with a serialise -> JSON -> restore between each two. */
function runWithRestarts(batches: Event[][], rules: readonly Rule[]): ReturnType<typeof run> {
  let state: PartitionDetectorState = createDetectorState()
  const folded = new Map<string, Anomaly>()
  for (const batch of batches) {
    for (const change of detect(state, batch, rules, { allowedLatenessMs: LATENESS_MS }).changes)
      folded.set(change.anomaly.id, change.anomaly)
    const restored = restoreState(JSON.parse(JSON.stringify(serializeState(state))))
    if ('error' in restored) throw new Error(restored.error)
    state = restored.state
  }
  const rest = run([], {
    rules,
    state,
    allowedLatenessMs: LATENESS_MS,
    untilMs: Math.max(...batches.flat().map((e) => e.tsMs)) + 1,
  })
  for (const anomaly of rest.anomalies) folded.set(anomaly.id, anomaly)
  return {
    ...rest,
    anomalies: [...folded.values()].sort(
      (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
    ),
  }
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 })

describe('detection over event time', () => {
  it("gives the sorted stream's anomalies for any arrival within the lateness, any batches, any restarts", () => {
    const rulesSeen = new Set<string>()
    fc.assert(
      fc.property(onTimeArrivalArb, fractions, fractions, (arrival, batchCuts, restartCuts) => {
        const sorted = run([[...arrival].sort(byEventTime)], {
          rules: ALL_RULES,
          allowedLatenessMs: LATENESS_MS,
        })
        for (const anomaly of sorted.anomalies) rulesSeen.add(anomaly.rule)
        const batched = run(cut(arrival, batchCuts), { rules: ALL_RULES, allowedLatenessMs: LATENESS_MS })
        const restarted = runWithRestarts(cut(arrival, restartCuts), ALL_RULES)
        expect(batched.lateEvents).toBe(0)
        expect(batched.anomalies).toEqual(sorted.anomalies)
        expect(restarted.anomalies).toEqual(sorted.anomalies)
      }),
      { numRuns: 150 },
    )
    // the streams are rich enough to make every rule fire
    expect([...rulesSeen].sort()).toEqual(ALL_RULES.map((r) => r.name).sort())
  })

  it("ignores events late for their key: any arrival order in one batch gives each rule's on-time events' anomalies", () => {
    const compiled = compileRules(ALL_RULES)
    fc.assert(
      fc.property(streamArb, (events) => {
        // the oracle: per rule and key, the newest event time so far, of any event with that key
        const newest = new Map<string, number>()
        const lateFor = new Map<string, Set<number>>()
        for (const [index, event] of events.entries()) {
          for (const rule of compiled.byKind[event.kind]) {
            const key = rule.readKey(event)
            if (key === null) continue
            const clock = `${rule.name}\u0000${key}`
            const newestMs = newest.get(clock) ?? event.tsMs
            if (event.tsMs < newestMs - LATENESS_MS) {
              if (rule.matches(event))
                lateFor.set(rule.name, (lateFor.get(rule.name) ?? new Set()).add(index))
              continue
            }
            newest.set(clock, Math.max(newestMs, event.tsMs))
          }
        }
        const actual = run([events], { rules: ALL_RULES, allowedLatenessMs: LATENESS_MS })
        const expected = ALL_RULES.flatMap(
          (rule) =>
            run([events.filter((_, i) => !lateFor.get(rule.name)?.has(i)).sort(byEventTime)], {
              rules: [rule],
              allowedLatenessMs: LATENESS_MS,
            }).anomalies,
        )
        const lateEvents = new Set([...lateFor.values()].flatMap((set) => [...set])).size
        expect(actual.lateEvents).toBe(lateEvents)
        expect(actual.anomalies).toEqual(sortAnomalies(expected))
      }),
      { numRuns: 150 },
    )
  })

  it('matches a brute-force model of windows and episodes', () => {
    fc.assert(
      fc.property(onTimeArrivalArb, fractions, (arrival, batchCuts) => {
        const actual = run(cut(arrival, batchCuts), { rules: SIMPLE_RULES, allowedLatenessMs: LATENESS_MS })
        expect(actual.anomalies).toEqual(
          modelAnomalies(arrival, SIMPLE_RULES, Math.max(...arrival.map((e) => e.tsMs)) + 1),
        )
      }),
      { numRuns: 200 },
    )
  })
})
