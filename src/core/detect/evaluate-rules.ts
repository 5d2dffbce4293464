// Evaluation in event-time order: the episode machine of detect.ts applied to one rule key's
// pending observations up to the key's watermark. Everything here is a function of the key's
// observations taken in (tsMs, eventId) order and of its watermark, never of how they were split
// into batches nor of other keys.
import { type Anomaly, anomalyId } from './anomaly.ts'
import type { CompiledRule } from './compile-rules.ts'
import {
  evictFromWindow,
  type KeyState,
  type Observation,
  pushToWindow,
  type RuleState,
} from './detector-state.ts'
import { popObservation } from './observation-heap.ts'
import { compareValues, moreExtreme } from './rule.ts'

/** Anomalies touched during one call, by id; `opened` when the episode began in this call. */
export type ChangeLog = Map<string, { opened: boolean; anomaly: Anomaly }>

/**
 * Evaluates a key's pending observations with event time before `watermarkMs` (the key's own), in
 * (tsMs, eventId) order, then resolves its episode if its quiet period ended by `resolveByMs`
 * (the watermark, unless passTime estimates the silent key's clock further on). Observations at or
 * after the watermark wait: an on-time event of the key may still arrive before them. A rule that
 * left the rule set (`rule` undefined) only resolves.
 */
export function evaluateKeyUpTo(
  ruleState: RuleState,
  rule: CompiledRule | undefined,
  key: string,
  keyState: KeyState,
  watermarkMs: number,
  resolveByMs: number,
  log: ChangeLog,
): void {
  const pending = keyState.pending
  if (rule) {
    let previous: Observation | undefined
    while (pending.length > 0 && pending[0]!.tsMs < watermarkMs) {
      const observation = popObservation(pending)
      // The same event twice (same id, same time) counts once. A copy arriving after the first was
      // evaluated would be before the watermark, hence late, so this catches every on-time copy.
      if (previous && previous.tsMs === observation.tsMs && previous.eventId === observation.eventId) continue
      evaluateObservation(ruleState, rule, key, keyState, observation, log)
      previous = observation
    }
  } else pending.length = 0
  if (keyState.episode && keyState.episode.resolveAtMs <= resolveByMs)
    resolveEpisode(ruleState, key, keyState, log)
}

function evaluateObservation(
  ruleState: RuleState,
  rule: CompiledRule,
  key: string,
  keyState: KeyState,
  observation: Observation,
  log: ChangeLog,
): void {
  const { tsMs } = observation
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

/**
 * Whether a key's state equals a fresh key's for every evaluation still to come at or after
 * `atMs`: nothing pending, no episode, a window that would be empty by then, and a last
 * evaluation a quiet period before it (so any streak or latch would be ended anyway) for rules with
 * `for` or `recovery`. A rule that
 * left the rule set keeps a key only while its episode is open.
 */
export function holdsNothing(keyState: KeyState, rule: CompiledRule | undefined, atMs: number): boolean {
  if (keyState.episode || keyState.pending.length > 0) return false
  if (!rule) return true
  if (keyState.windowCount > 0 && keyState.windowTs[keyState.windowTs.length - 1]! > atMs - rule.windowMs)
    return false
  // without `for` and `recovery` an evaluation leaves no streak or latch behind
  if (rule.forMs === 0 && rule.recovery === null) return true
  return keyState.lastEvalMs === null || atMs - keyState.lastEvalMs >= rule.quietPeriodMs
}
