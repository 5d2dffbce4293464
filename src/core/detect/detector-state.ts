// The detector's state for one partition (topic/partition): what the etl stores in PostgreSQL in
// the same transaction as the batch's rows and offsets, and restores on assignment (see
// serialize-state.ts). Treat it as opaque outside this folder.
//
// Event time is kept per rule key (docs/detection.md): each key has its own clock (the newest
// event time of its events), its own watermark and its own buffer of observations not yet
// evaluated. Keys share nothing but the partition's live clock (`liveMs`), which only passTime
// moves, to tell how long a key has been silent.
//
// Bounded: a key is kept only while it holds something a later on-time event of it could need:
// observations in its buffer, an open episode, a window that is not empty, or a `for` streak /
// hysteresis latch that the quiet period has not yet ended. A key that holds nothing is dropped at
// once, and with it its clock.
import type { Anomaly } from './anomaly.ts'

export interface PartitionDetectorState {
  /** newest event time seen on the partition, of any key; null before the first event */
  maxEventTsMs: number | null
  /**
   * Time the partition has been live (the etl caught up on it) by the wall clock, summed over
   * passTime calls: a key's silence is this minus its `seenAtMs`. Never decreases.
   */
  liveMs: number
  /** by rule name; a rule that left the rule set stays until its open episodes resolve */
  rules: Map<string, RuleState>
}

export interface RuleState {
  /** of the rule definition this state was built under (see compile-rules.ts) */
  signature: string
  keys: Map<string, KeyState>
  /** keys whose episode is open */
  openKeys: Set<string>
}

/** What a rule takes from one event: enough to evaluate it later, in event-time order. */
export interface Observation {
  tsMs: number
  /** breaks ties in event time, and drops a second copy of the same event */
  eventId: string
  /** the field's value; unused by count rules */
  value: number
}

export interface KeyState {
  /** the key's clock: newest event time of its events (matching the rule's filter or not) */
  newestMs: number
  /**
   * Events of the key before it are late; everything before it has been evaluated. Never
   * decreases: max(newestMs - allowed lateness, what passTime / advanceTime set).
   */
  watermarkMs: number
  /** the partition's liveMs when the key's last event was read */
  seenAtMs: number
  /** on-time observations at or after the watermark, not yet evaluated: a min-heap (observation-heap.ts) */
  pending: Observation[]
  /** count rules: the window as runs of equal timestamps (at most one run per ms of the window) */
  windowTs: number[]
  windowRuns: number[]
  /** index of the oldest live run in windowTs/windowRuns */
  windowHead: number
  /** events in the window */
  windowCount: number
  /** events ever pushed into the window: positions for counting an episode's events once */
  windowSeq: number
  /** event time of the last evaluation, for the streak and the latch to end after a quiet period */
  lastEvalMs: number | null
  /** start of the current run of evaluations where the condition held (`for`) */
  streakStartMs: number | null
  /** holding evaluations not yet added to an episode (the streak before `for` was satisfied) */
  unreportedCount: number
  unreportedPeak: number | null
  /** hysteresis: the condition fired at the last evaluation, so the recovery value applies */
  latched: boolean
  episode: Episode | null
}

export interface Episode {
  /** the anomaly as it stands; mutated in place while open, copied when reported */
  anomaly: Anomaly
  /** kept with the episode so it resolves as it began even if its rule changes or goes */
  quietPeriodMs: number
  /** lastSeenMs + quietPeriodMs: resolved once event time reaches it without the condition */
  resolveAtMs: number
  /** count rules: windowSeq up to which events are already in eventCount */
  countedThroughSeq: number
}

export function createDetectorState(): PartitionDetectorState {
  return { maxEventTsMs: null, liveMs: 0, rules: new Map() }
}

export function createRuleState(signature: string): RuleState {
  return { signature, keys: new Map(), openKeys: new Set() }
}

/** A key first seen at event time tsMs (its watermark then: tsMs - allowedLatenessMs). */
export function createKeyState(tsMs: number, watermarkMs: number, seenAtMs: number): KeyState {
  return {
    newestMs: tsMs,
    watermarkMs,
    seenAtMs,
    pending: [],
    windowTs: [],
    windowRuns: [],
    windowHead: 0,
    windowCount: 0,
    windowSeq: 0,
    lastEvalMs: null,
    streakStartMs: null,
    unreportedCount: 0,
    unreportedPeak: null,
    latched: false,
    episode: null,
  }
}

/** Adds one event at tsMs (not before the newest in the window: evaluation is in event-time order). */
export function pushToWindow(key: KeyState, tsMs: number): void {
  const last = key.windowTs.length - 1
  if (last >= key.windowHead && key.windowTs[last] === tsMs) key.windowRuns[last]! += 1
  else {
    key.windowTs.push(tsMs)
    key.windowRuns.push(1)
  }
  key.windowCount += 1
  key.windowSeq += 1
}

/** Drops events with event time at or before `oldestExcludedMs` (the window is (t - windowMs, t]). */
export function evictFromWindow(key: KeyState, oldestExcludedMs: number): void {
  const ts = key.windowTs
  let head = key.windowHead
  while (head < ts.length && ts[head]! <= oldestExcludedMs) {
    key.windowCount -= key.windowRuns[head]!
    head += 1
  }
  if (head === ts.length) {
    ts.length = 0
    key.windowRuns.length = 0
    head = 0
  } else if (head > 64 && head * 2 > ts.length) {
    ts.splice(0, head)
    key.windowRuns.splice(0, head)
    head = 0
  }
  key.windowHead = head
}
