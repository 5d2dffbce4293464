// The detector: cleaned events of one partition in, anomaly changes out, in event time.
//
// Semantics (docs/detection.md says the same at more length):
//
// - Watermark. Per partition: watermark = max(newest event time seen - allowedLatenessMs, what
//   advanceTime set); it never decreases. An event whose time is at or after the watermark when it
//   arrives is on time, even out of order; an older one is late: counted in `lateEvents`, ignored
//   (the etl still stores it). Arrival order inside a batch is the order the watermark advances in.
// - Order. On-time events wait in a bounded buffer and are evaluated in (tsMs, eventId) order once
//   the watermark passes them (tsMs < watermark). Nothing on time can then arrive before them, so
//   any arrival order in which no event comes after the watermark passed it, and any split into
//   batches, gives the same evaluations in the same order, hence the same anomalies and ids.
//   A second copy of an event (same eventId and tsMs) counts once.
// - Evaluations. A count rule evaluates at each matching event of a key: the measure is the number
//   of matching events of the key in (t - windowMs, t], counting those at t up to this one in the
//   order above. Threshold and event rules evaluate at each matching event of a key with the
//   field's value as the measure. The condition holds when measure <comparator> threshold, or,
//   with `recovery`, while latched (it fired at the previous evaluation), measure <comparator>
//   recovery. With `for`, it must hold at consecutive evaluations of the key from a first one at s
//   to one at t with t - s >= forMs before it fires; no evaluation for a quiet period ends a
//   streak and a latch. Without `for`, a holding evaluation fires.
// - Episodes. When a rule fires for a key with no open episode, an episode opens: firstSeenMs =
//   lastSeenMs = that evaluation's event time, value = the peak of the streak, eventCount = its
//   readings (count rules: the events in the window). Each later firing before the episode
//   resolves extends it: lastSeenMs, peak (max; min for < and <=), eventCount (count rules: the
//   events of the window not yet counted). It resolves at resolvedAtMs = lastSeenMs + quietPeriodMs
//   (default 5 min) when no firing comes before that instant: the change is reported once the
//   watermark reaches it, or when the key's next evaluation is at or after it (then a firing opens
//   a new episode). Event rules are the same machine: each transaction id is its own key.
// - Ids. anomalyId(rule, key, firstSeenMs): reprocessing the same events gives the same ids.
// - Idle partitions. advanceTime(state, nowMs) moves the watermark to at least nowMs -
//   allowedLatenessMs - idleGraceMs, so the episodes of a partition that stopped receiving events
//   resolve by the wall clock. Only the etl decides a partition is idle; it must not call it while
//   catching up on old events (they would become late).
//
// The state is updated in place and returned; serialise it (serialize-state.ts) with the batch.
import type { Event } from '../../contracts/events.ts'
import type { AnomalyChange } from './anomaly.ts'
import { type CompiledRules, compileRules } from './compile-rules.ts'
import { createRuleState, type PartitionDetectorState, type RuleState } from './detector-state.ts'
import { type ChangeLog, evaluateUpTo } from './evaluate-rules.ts'
import { pushObservation } from './observation-heap.ts'
import { compareValues, type Rule } from './rule.ts'

export const DEFAULT_ALLOWED_LATENESS_MS = 30_000
export const DEFAULT_IDLE_GRACE_MS = 60_000

export interface DetectOptions {
  /** how far behind the newest event time an event may be and still count; default 30 s */
  allowedLatenessMs?: number
}

export interface AdvanceTimeOptions extends DetectOptions {
  /** how long after the newest event the wall clock takes over; default 60 s */
  idleGraceMs?: number
}

export interface DetectResult {
  /** the same object that was passed in, updated */
  state: PartitionDetectorState
  /** one per anomaly touched, in (firstSeenMs, rule, key) order */
  changes: AnomalyChange[]
  lateEvents: number
  watermarkMs: number | null
}

/**
 * Detects over one batch of one partition's events, in arrival (offset) order. Takes ownership of
 * `state`: it is updated in place, so keep its serialisation, not the object, to go back to it.
 */
export function detect(
  state: PartitionDetectorState,
  events: readonly Event[],
  rules: readonly Rule[],
  options: DetectOptions = {},
): DetectResult {
  const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS
  const compiled = compileRules(rules)
  const ruleStates = prepareRuleStates(state, compiled)
  const byKind = compiled.byKind
  let lateEvents = 0
  for (const event of events) {
    const tsMs = event.tsMs
    if (state.watermarkMs !== null && tsMs < state.watermarkMs) {
      lateEvents += 1
      continue
    }
    if (state.maxEventTsMs === null || tsMs > state.maxEventTsMs) {
      state.maxEventTsMs = tsMs
      const watermarkMs = tsMs - allowedLatenessMs
      if (state.watermarkMs === null || watermarkMs > state.watermarkMs) state.watermarkMs = watermarkMs
    }
    for (const rule of byKind[event.kind]) {
      if (!rule.matches(event)) continue
      const key = rule.readKey(event)
      if (key === null) continue
      let value = 0
      if (rule.readValue) {
        const read = rule.readValue(event)
        if (typeof read !== 'number' || !Number.isFinite(read)) continue
        if (!rule.observesAll && !compareValues(read, rule.comparator, rule.limit)) continue
        value = read
      }
      pushObservation(ruleStates.get(rule.name)!.pending, {
        tsMs,
        eventId: event.eventId,
        key: typeof key === 'string' ? key : String(key),
        value,
      })
    }
  }
  const log: ChangeLog = new Map()
  if (state.watermarkMs !== null) evaluateUpTo(state, compiled, state.watermarkMs, log)
  return { state, changes: collectChanges(log), lateEvents, watermarkMs: state.watermarkMs }
}

/**
 * Lets the wall clock stand in for event time on an idle partition: watermark = max(watermark,
 * nowMs - allowedLatenessMs - idleGraceMs). This moves it only when the newest event is more than
 * idleGraceMs older than nowMs. A partition that never saw an event is left alone.
 */
export function advanceTime(
  state: PartitionDetectorState,
  nowMs: number,
  rules: readonly Rule[],
  options: AdvanceTimeOptions = {},
): DetectResult {
  const log: ChangeLog = new Map()
  if (state.watermarkMs !== null) {
    const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS
    const idleGraceMs = options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS
    const compiled = compileRules(rules)
    prepareRuleStates(state, compiled)
    state.watermarkMs = Math.max(state.watermarkMs, nowMs - allowedLatenessMs - idleGraceMs)
    evaluateUpTo(state, compiled, state.watermarkMs, log)
  }
  return { state, changes: collectChanges(log), lateEvents: 0, watermarkMs: state.watermarkMs }
}

/**
 * A rule state for each rule; a rule whose definition changed starts its windows, streaks and
 * pending observations afresh (its open episodes carry on); a rule that left keeps only its open
 * episodes, which resolve by the watermark.
 */
function prepareRuleStates(state: PartitionDetectorState, compiled: CompiledRules): Map<string, RuleState> {
  for (const rule of compiled.list) {
    const ruleState = state.rules.get(rule.name)
    if (!ruleState) state.rules.set(rule.name, createRuleState(rule.signature))
    else if (ruleState.signature !== rule.signature) restartRuleState(ruleState, rule.signature)
  }
  for (const [name, ruleState] of state.rules) {
    if (!compiled.byName.has(name) && ruleState.signature !== '') restartRuleState(ruleState, '')
  }
  return state.rules
}

function restartRuleState(ruleState: RuleState, signature: string): void {
  ruleState.signature = signature
  ruleState.pending = []
  for (const [key, keyState] of ruleState.keys) {
    if (!keyState.episode) {
      ruleState.keys.delete(key)
      continue
    }
    keyState.windowTs = []
    keyState.windowRuns = []
    keyState.windowHead = 0
    keyState.windowCount = 0
    keyState.lastEvalMs = null
    keyState.streakStartMs = null
    keyState.unreportedCount = 0
    keyState.unreportedPeak = null
    keyState.latched = false
  }
}

function collectChanges(log: ChangeLog): AnomalyChange[] {
  const changes: AnomalyChange[] = []
  for (const { opened, anomaly } of log.values()) {
    const type = opened ? 'opened' : anomaly.status === 'resolved' ? 'resolved' : 'updated'
    changes.push({ type, anomaly: { ...anomaly } })
  }
  return changes.sort(
    (a, b) =>
      a.anomaly.firstSeenMs - b.anomaly.firstSeenMs ||
      compareText(a.anomaly.rule, b.anomaly.rule) ||
      compareText(a.anomaly.key, b.anomaly.key),
  )
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
