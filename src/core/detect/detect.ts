// The detector: cleaned events of one partition in, anomaly changes out, in event time per rule key.
//
// Semantics (docs/detection.md says the same at more length):
//
// - Clocks. Each rule key (the service, user or transaction a rule is evaluated for) has its own
//   event time: its clock is the newest event time of its events, whether or not they pass the
//   rule's filter, and its watermark = max(clock - allowedLatenessMs, what passTime/advanceTime
//   set); it never decreases. An event of the key at or after the watermark when it arrives is on
//   time, even out of order; an older one is late for that rule: counted in `late`, ignored by it
//   (the etl still stores it). Another key's events never move a key's clock, whatever its skew.
// - Order. A key's on-time observations wait in its buffer and are evaluated in (tsMs, eventId)
//   order once its watermark passes them (tsMs < watermark). So any arrival order in which each
//   key's events come within the lateness of that key's newest, any interleaving of keys, and any
//   split into batches give each key the evaluations of its sorted stream, hence the same anomalies
//   and ids. A second copy of an event (same eventId and tsMs) counts once.
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
//   key's watermark reaches it, or when the key's next evaluation is at or after it (then a firing
//   opens a new episode). Event rules are the same machine: each transaction id is its own key.
// - Ids. anomalyId(rule, key, firstSeenMs): reprocessing the same events gives the same ids.
// - Silent keys. passTime(state, elapsedMs) tells the detector how long the partition has been
//   live (the etl caught up on it). A key silent for idleGraceMs of that time has its buffer
//   evaluated (its watermark goes just past its newest event), and its clock is taken to run on
//   from its newest event by its silence minus the grace: an episode resolves once that estimate
//   less the lateness reaches resolvedAtMs, and the key is forgotten once it holds nothing.
//   Silence is elapsed time, never a comparison of clocks, so a key whose clock is behind the
//   others' or the wall clock is not resolved early, and a key that stopped is not open forever.
//
// The state is updated in place and returned; serialise it (serialize-state.ts) with the batch.
import type { Event } from '../../contracts/events.ts'
import type { EventTopic } from '../../contracts/topics.ts'
import type { AnomalyChange } from './anomaly.ts'
import { type CompiledRule, type CompiledRules, compileRules } from './compile-rules.ts'
import {
  createKeyState,
  createRuleState,
  type KeyState,
  type PartitionDetectorState,
  type RuleState,
} from './detector-state.ts'
import { type ChangeLog, evaluateKeyUpTo, holdsNothing } from './evaluate-rules.ts'
import { pushObservation } from './observation-heap.ts'
import { compareValues, type Rule } from './rule.ts'

export const DEFAULT_ALLOWED_LATENESS_MS = 30_000
export const DEFAULT_IDLE_GRACE_MS = 60_000

export interface DetectOptions {
  /** how far behind its key's newest event time an event may be and still count; default 30 s */
  allowedLatenessMs?: number
}

export interface AdvanceTimeOptions extends DetectOptions {
  /** how long a key is silent before its clock runs on without it; default 60 s */
  idleGraceMs?: number
}

/** The events of one call that were late for a rule: behind their key's watermark. */
export interface LateEvents {
  rule: string
  topic: EventTopic
  /** for each late event: how far behind its key's newest event time it was, in ms */
  behindMs: number[]
  /** a key it happened to (the first one), for the log */
  exampleKey: string
}

export interface DetectResult {
  /** the same object that was passed in, updated */
  state: PartitionDetectorState
  /** one per anomaly touched, in (firstSeenMs, rule, key) order */
  changes: AnomalyChange[]
  /** events late for at least one rule that matches them */
  lateEvents: number
  /** by rule, in rule order */
  late: LateEvents[]
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
  prepareRuleStates(state, compiled)
  const byKind = compiled.byKind
  const touched = new Map<KeyState, [RuleState, CompiledRule, string]>()
  const late = new Map<string, LateEvents>()
  const liveMs = state.liveMs
  let lateEvents = 0
  for (const event of events) {
    const tsMs = event.tsMs
    if (state.maxEventTsMs === null || tsMs > state.maxEventTsMs) state.maxEventTsMs = tsMs
    let isLate = false
    for (const rule of byKind[event.kind]) {
      const read = rule.readKey(event)
      if (read === null) continue
      const key = typeof read === 'string' ? read : String(read)
      const ruleState = state.rules.get(rule.name)!
      let keyState = ruleState.keys.get(key)
      if (!keyState) {
        keyState = createKeyState(tsMs, tsMs - allowedLatenessMs, liveMs)
        ruleState.keys.set(key, keyState)
      } else if (tsMs < keyState.watermarkMs) {
        if (rule.matches(event)) {
          isLate = true
          addLate(late, rule, key, keyState.newestMs - tsMs)
        }
        continue
      } else {
        keyState.seenAtMs = liveMs
        if (tsMs > keyState.newestMs) {
          keyState.newestMs = tsMs
          const watermarkMs = tsMs - allowedLatenessMs
          if (watermarkMs > keyState.watermarkMs) keyState.watermarkMs = watermarkMs
        }
      }
      if (!touched.has(keyState)) touched.set(keyState, [ruleState, rule, key])
      if (!rule.matches(event)) continue
      let value = 0
      if (rule.readValue) {
        const field = rule.readValue(event)
        if (typeof field !== 'number' || !Number.isFinite(field)) continue
        if (!rule.observesAll && !compareValues(field, rule.comparator, rule.limit)) continue
        value = field
      }
      pushObservation(keyState.pending, { tsMs, eventId: event.eventId, value })
    }
    if (isLate) lateEvents += 1
  }
  const log: ChangeLog = new Map()
  for (const [keyState, [ruleState, rule, key]] of touched) {
    const watermarkMs = keyState.watermarkMs
    evaluateKeyUpTo(ruleState, rule, key, keyState, watermarkMs, watermarkMs, log)
    if (holdsNothing(keyState, rule, watermarkMs)) ruleState.keys.delete(key)
  }
  return { state, changes: collectChanges(log), lateEvents, late: lateByRule(late, compiled) }
}

/**
 * Tells the detector the partition has been live for another `elapsedMs` (wall time during which
 * the etl was caught up on it). Each key silent for at least idleGraceMs of live time then has its
 * buffer evaluated (its watermark goes just past its newest event, so an event of it older than
 * that arriving later is late), its clock is estimated at newest + silence - idleGraceMs, its
 * episode resolves once that estimate less the lateness reaches the episode's resolvedAtMs, and it
 * is dropped once it holds nothing by then. Only elapsed time counts, never the wall clock's
 * reading: a key whose clock is behind is judged on its own timeline.
 */
export function passTime(
  state: PartitionDetectorState,
  elapsedMs: number,
  rules: readonly Rule[],
  options: AdvanceTimeOptions = {},
): DetectResult {
  const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS
  const idleGraceMs = options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS
  if (elapsedMs > 0) state.liveMs += elapsedMs
  const liveMs = state.liveMs
  return moveSilentKeys(state, rules, (keyState) => {
    const silentMs = liveMs - keyState.seenAtMs
    if (silentMs < idleGraceMs) return null
    return {
      watermarkMs: keyState.newestMs + 1,
      resolveByMs: keyState.newestMs + silentMs - idleGraceMs - allowedLatenessMs,
    }
  })
}

/**
 * Moves every key's event time to at least nowMs, as if an event at nowMs + allowedLatenessMs +
 * idleGraceMs had come: its buffer before that evaluated, its episodes resolved by then. For tests
 * and tools that end a stream (the etl uses passTime: a key's clock is its own).
 */
export function advanceTime(
  state: PartitionDetectorState,
  nowMs: number,
  rules: readonly Rule[],
  options: AdvanceTimeOptions = {},
): DetectResult {
  const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS
  const idleGraceMs = options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS
  const watermarkMs = nowMs - allowedLatenessMs - idleGraceMs
  return moveSilentKeys(state, rules, () => ({ watermarkMs, resolveByMs: watermarkMs }))
}

function moveSilentKeys(
  state: PartitionDetectorState,
  rules: readonly Rule[],
  moveTo: (keyState: KeyState) => { watermarkMs: number; resolveByMs: number } | null,
): DetectResult {
  const compiled = compileRules(rules)
  prepareRuleStates(state, compiled)
  const log: ChangeLog = new Map()
  for (const [name, ruleState] of state.rules) {
    const rule = compiled.byName.get(name)
    for (const [key, keyState] of ruleState.keys) {
      const moved = moveTo(keyState)
      if (moved === null) continue
      if (moved.watermarkMs > keyState.watermarkMs) keyState.watermarkMs = moved.watermarkMs
      const resolveByMs = Math.max(keyState.watermarkMs, moved.resolveByMs)
      evaluateKeyUpTo(ruleState, rule, key, keyState, keyState.watermarkMs, resolveByMs, log)
      if (holdsNothing(keyState, rule, resolveByMs)) ruleState.keys.delete(key)
    }
    if (!rule && ruleState.openKeys.size === 0) state.rules.delete(name)
  }
  return { state, changes: collectChanges(log), lateEvents: 0, late: [] }
}

function addLate(late: Map<string, LateEvents>, rule: CompiledRule, key: string, behindMs: number): void {
  const entry = late.get(rule.name)
  if (entry) entry.behindMs.push(behindMs)
  else late.set(rule.name, { rule: rule.name, topic: rule.topic, behindMs: [behindMs], exampleKey: key })
}

function lateByRule(late: Map<string, LateEvents>, compiled: CompiledRules): LateEvents[] {
  if (late.size === 0) return []
  return compiled.list.flatMap((rule) => late.get(rule.name) ?? [])
}

/**
 * A rule state for each rule; a rule whose definition changed starts its windows, streaks and
 * pending observations afresh (its open episodes carry on); a rule that left keeps only its open
 * episodes, which resolve by passTime (its keys get no more events).
 */
function prepareRuleStates(state: PartitionDetectorState, compiled: CompiledRules): void {
  for (const rule of compiled.list) {
    const ruleState = state.rules.get(rule.name)
    if (!ruleState) state.rules.set(rule.name, createRuleState(rule.signature))
    else if (ruleState.signature !== rule.signature) restartRuleState(ruleState, rule.signature)
  }
  for (const [name, ruleState] of state.rules) {
    if (!compiled.byName.has(name) && ruleState.signature !== '') restartRuleState(ruleState, '')
  }
}

function restartRuleState(ruleState: RuleState, signature: string): void {
  ruleState.signature = signature
  for (const [key, keyState] of ruleState.keys) {
    keyState.pending = []
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
