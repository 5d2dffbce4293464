// Evaluation in event-time order: the episode machine of detect.ts applied to a rule's pending
// observations up to the watermark. Everything here is a function of the observations taken in
// (tsMs, eventId) order and of the watermark, never of how they were split into batches.
import { type Anomaly, anomalyId } from './anomaly.ts'
import type { CompiledRule, CompiledRules } from './compile-rules.ts'
import {
  createKeyState,
  evictFromWindow,
  type KeyState,
  type Observation,
  type PartitionDetectorState,
  pushToWindow,
  type RuleState,
} from './detector-state.ts'
import { popObservation } from './observation-heap.ts'
import { compareValues, moreExtreme } from './rule.ts'

/** Anomalies touched during one call, by id; `opened` when the episode began in this call. */
export type ChangeLog = Map<string, { opened: boolean; anomaly: Anomaly }>

/** How often (in event time) keys that went idle are dropped; dropping them never changes a result. */
const SWEEP_INTERVAL_MS = 10_000

/**
 * Evaluates every rule's pending observations with event time before `watermarkMs`, then resolves
 * the episodes whose quiet period ended by it. Observations at or after the watermark wait: an
 * on-time event may still arrive before them.
 */
export function evaluateUpTo(
  state: PartitionDetectorState,
  compiled: CompiledRules,
  watermarkMs: number,
  log: ChangeLog,
): void {
  const sweep = state.sweptAtMs === null || watermarkMs - state.sweptAtMs >= SWEEP_INTERVAL_MS
  for (const [name, ruleState] of state.rules) {
    const rule = compiled.byName.get(name)
    if (rule) evaluatePending(ruleState, rule, watermarkMs, log)
    resolveQuietEpisodes(ruleState, watermarkMs, log)
    if (!rule) {
      if (ruleState.openKeys.size === 0) state.rules.delete(name)
    } else if (sweep) dropIdleKeys(ruleState, rule, watermarkMs)
  }
  if (sweep) state.sweptAtMs = watermarkMs
}

function evaluatePending(
  ruleState: RuleState,
  rule: CompiledRule,
  watermarkMs: number,
  log: ChangeLog,
): void {
  const pending = ruleState.pending
  let previous: Observation | undefined
  while (pending.length > 0 && pending[0]!.tsMs < watermarkMs) {
    const observation = popObservation(pending)
    // The same event twice (same id, same time) counts once. A copy arriving after the first was
    // evaluated would be before the watermark, hence late, so this catches every on-time copy.
    if (previous && previous.tsMs === observation.tsMs && previous.eventId === observation.eventId) continue
    evaluateObservation(ruleState, rule, observation, log)
    previous = observation
  }
}

function evaluateObservation(
  ruleState: RuleState,
  rule: CompiledRule,
  observation: Observation,
  log: ChangeLog,
): void {
  const { key, tsMs } = observation
  let keyState = ruleState.keys.get(key)
  if (!keyState) {
    keyState = createKeyState()
    ruleState.keys.set(key, keyState)
  }
  if (keyState.episode && keyState.episode.resolveAtMs <= tsMs) resolveEpisode(ruleState, key, keyState, log)
  // After a quiet period without evaluations, a streak or a latch says nothing about now.
  if (keyState.lastEvalMs !== null && tsMs - keyState.lastEvalMs >= rule.quietPeriodMs) endStreak(keyState)
  keyState.lastEvalMs = tsMs

  let measure = observation.value
  if (rule.windowMs > 0) {
    pushToWindow(keyState, tsMs)
    evictFromWindow(keyState, tsMs - rule.windowMs)
    measure = keyState.windowCount
  }
  const limit = keyState.latched && rule.recovery !== null ? rule.recovery : rule.limit
  if (!compareValues(measure, rule.comparator, limit)) {
    endStreak(keyState)
    return
  }
  keyState.unreportedCount += 1
  keyState.unreportedPeak =
    keyState.unreportedPeak === null
      ? measure
      : moreExtreme(rule.comparator, keyState.unreportedPeak, measure)
  // Streak and latch are kept only by rules that use them, which keeps the state small.
  if (rule.forMs > 0) {
    if (keyState.streakStartMs === null) keyState.streakStartMs = tsMs
    if (tsMs - keyState.streakStartMs < rule.forMs) return
  }
  if (rule.recovery !== null) keyState.latched = true
  fire(ruleState, rule, key, keyState, tsMs, log)
}

function endStreak(keyState: KeyState): void {
  keyState.streakStartMs = null
  keyState.unreportedCount = 0
  keyState.unreportedPeak = null
  keyState.latched = false
}

/** The condition holds (for long enough) at tsMs: open an episode, or extend the open one. */
function fire(
  ruleState: RuleState,
  rule: CompiledRule,
  key: string,
  keyState: KeyState,
  tsMs: number,
  log: ChangeLog,
): void {
  const peak = keyState.unreportedPeak!
  const readings = keyState.unreportedCount
  keyState.unreportedCount = 0
  keyState.unreportedPeak = null
  const isCount = rule.windowMs > 0
  const episode = keyState.episode
  if (!episode) {
    const anomaly: Anomaly = {
      id: anomalyId(rule.name, key, tsMs),
      rule: rule.name,
      key,
      topic: rule.topic,
      status: 'open',
      firstSeenMs: tsMs,
      lastSeenMs: tsMs,
      value: peak,
      threshold: rule.limit,
      comparator: rule.comparator,
      eventCount: isCount ? keyState.windowCount : readings,
      severity: rule.rule.severity,
    }
    if (isCount) anomaly.windowMs = rule.windowMs
    keyState.episode = {
      anomaly,
      quietPeriodMs: rule.quietPeriodMs,
      resolveAtMs: tsMs + rule.quietPeriodMs,
      countedThroughSeq: keyState.windowSeq,
    }
    ruleState.openKeys.add(key)
    log.set(anomaly.id, { opened: true, anomaly })
    return
  }
  const anomaly = episode.anomaly
  anomaly.lastSeenMs = tsMs
  anomaly.value = moreExtreme(anomaly.comparator, anomaly.value, peak)
  if (isCount) {
    // Events of this window not yet counted: those pushed after the last count that are still in it.
    const seq = keyState.windowSeq
    anomaly.eventCount += seq - Math.max(episode.countedThroughSeq, seq - keyState.windowCount)
    episode.countedThroughSeq = seq
  } else anomaly.eventCount += readings
  episode.resolveAtMs = tsMs + episode.quietPeriodMs
  if (!log.has(anomaly.id)) log.set(anomaly.id, { opened: false, anomaly })
}

function resolveEpisode(ruleState: RuleState, key: string, keyState: KeyState, log: ChangeLog): void {
  const episode = keyState.episode!
  episode.anomaly.status = 'resolved'
  episode.anomaly.resolvedAtMs = episode.resolveAtMs
  if (!log.has(episode.anomaly.id)) log.set(episode.anomaly.id, { opened: false, anomaly: episode.anomaly })
  keyState.episode = null
  ruleState.openKeys.delete(key)
}

function resolveQuietEpisodes(ruleState: RuleState, watermarkMs: number, log: ChangeLog): void {
  for (const key of ruleState.openKeys) {
    const keyState = ruleState.keys.get(key)!
    if (keyState.episode!.resolveAtMs <= watermarkMs) resolveEpisode(ruleState, key, keyState, log)
  }
}

/**
 * Drops keys whose state equals a fresh key's for every evaluation still to come (all at or after
 * the watermark): no episode, an empty window, and a last evaluation a quiet period ago (so any
 * streak or latch would be ended anyway).
 */
function dropIdleKeys(ruleState: RuleState, rule: CompiledRule, watermarkMs: number): void {
  for (const [key, keyState] of ruleState.keys) {
    if (keyState.episode) continue
    if (rule.windowMs > 0) evictFromWindow(keyState, watermarkMs - rule.windowMs)
    if (keyState.windowCount > 0) continue
    if (keyState.lastEvalMs !== null && watermarkMs - keyState.lastEvalMs < rule.quietPeriodMs) continue
    ruleState.keys.delete(key)
  }
}
