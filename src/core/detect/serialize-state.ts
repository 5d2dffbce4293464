// The detector state as JSON, for the etl to store with each batch (jsonb) and restore on
// partition assignment. Versioned; restoring checks the shape and reports a problem as a value.
// Windows and pending observations make up most of the bytes: short property names, and their
// timestamps written as differences from the previous one (the first from 0).
//
// Version 1 (one watermark per partition, one buffer per rule) is still read: each key gets the
// partition's watermark as its own, and the observations of the rule's buffer that are its own, so
// open episodes carry on under their ids and nothing evaluated is evaluated again.
import { z } from 'zod'
import { EVENT_TOPICS } from '../../contracts/topics.ts'
import type { Anomaly } from './anomaly.ts'
import {
  createDetectorState,
  createKeyState,
  createRuleState,
  type KeyState,
  type PartitionDetectorState,
  type RuleState,
} from './detector-state.ts'
import { heapify } from './observation-heap.ts'
import { COMPARATORS, SEVERITIES } from './rule.ts'

const FORMAT_VERSION = 2

const finite = z.number().refine(Number.isFinite)
const nullableTime = finite.nullable()

const anomalySchema = z.object({
  id: z.string(),
  rule: z.string(),
  key: z.string(),
  topic: z.enum(EVENT_TOPICS),
  status: z.enum(['open', 'resolved']),
  firstSeenMs: finite,
  lastSeenMs: finite,
  resolvedAtMs: finite.optional(),
  value: finite,
  threshold: finite,
  comparator: z.enum(COMPARATORS),
  eventCount: z.number().int().nonnegative(),
  severity: z.enum(SEVERITIES),
  windowMs: finite.optional(),
})

const keySchema = z.object({
  /** newestMs; watermarkMs as newestMs minus it; seenAtMs (v2) */
  c: finite.optional(),
  m: finite.optional(),
  a: finite.optional(),
  /** pending observations in heap order: [tsMs as a difference, eventId, value] (v2) */
  o: z.array(z.tuple([finite, z.string(), finite])).optional(),
  /** window: timestamps of runs, oldest first, as differences; and the events in each run */
  w: z.array(finite).optional(),
  r: z.array(z.number().int().positive()).optional(),
  /** windowSeq */
  q: z.number().int().nonnegative().optional(),
  /** lastEvalMs, streakStartMs, unreportedCount, unreportedPeak, latched */
  e: finite.optional(),
  s: finite.optional(),
  u: z.number().int().nonnegative().optional(),
  p: finite.optional(),
  l: z.literal(1).optional(),
  ep: z
    .object({
      anomaly: anomalySchema,
      quietPeriodMs: finite,
      resolveAtMs: finite,
      countedThroughSeq: z.number().int().nonnegative(),
    })
    .optional(),
})

const stateSchema = z.object({
  v: z.literal(FORMAT_VERSION),
  maxEventTsMs: nullableTime,
  liveMs: finite,
  rules: z.array(
    z.object({
      name: z.string(),
      signature: z.string(),
      keys: z.array(z.tuple([z.string(), keySchema])),
    }),
  ),
})

/** What version 1 wrote: one watermark per partition, one buffer per rule. */
const stateSchemaV1 = z.object({
  v: z.literal(1),
  maxEventTsMs: nullableTime,
  watermarkMs: nullableTime,
  sweptAtMs: nullableTime,
  rules: z.array(
    z.object({
      name: z.string(),
      signature: z.string(),
      /** pending observations in heap order: [tsMs as a difference, eventId, key, value] */
      pending: z.array(z.tuple([finite, z.string(), z.string(), finite])),
      keys: z.array(z.tuple([z.string(), keySchema])),
    }),
  ),
})

export type SerializedDetectorState = z.infer<typeof stateSchema>

export function serializeState(state: PartitionDetectorState): SerializedDetectorState {
  return {
    v: FORMAT_VERSION,
    maxEventTsMs: state.maxEventTsMs,
    liveMs: state.liveMs,
    rules: [...state.rules].map(([name, rule]) => ({
      name,
      signature: rule.signature,
      keys: [...rule.keys].map(([key, keyState]) => [key, serializeKey(keyState)] as [string, SerializedKey]),
    })),
  }
}

type SerializedKey = z.infer<typeof keySchema>

function serializeKey(key: KeyState): SerializedKey {
  const out: SerializedKey = { c: key.newestMs, m: key.newestMs - key.watermarkMs, a: key.seenAtMs }
  if (key.pending.length > 0) {
    out.o = key.pending.map((o, i, all) => {
      const tsDeltaMs = o.tsMs - (i === 0 ? 0 : all[i - 1]!.tsMs)
      return [tsDeltaMs, o.eventId, o.value] as [number, string, number]
    })
  }
  if (key.windowCount > 0) {
    out.w = key.windowTs.slice(key.windowHead).map((ts, i, all) => ts - (i === 0 ? 0 : all[i - 1]!))
    out.r = key.windowRuns.slice(key.windowHead)
  }
  if (key.windowSeq > 0) out.q = key.windowSeq
  if (key.lastEvalMs !== null) out.e = key.lastEvalMs
  if (key.streakStartMs !== null) out.s = key.streakStartMs
  if (key.unreportedCount > 0) out.u = key.unreportedCount
  if (key.unreportedPeak !== null) out.p = key.unreportedPeak
  if (key.latched) out.l = 1
  if (key.episode) {
    const { anomaly, quietPeriodMs, resolveAtMs, countedThroughSeq } = key.episode
    out.ep = { anomaly: { ...anomaly }, quietPeriodMs, resolveAtMs, countedThroughSeq }
  }
  return out
}

/** The state back from serializeState's output (after a JSON round trip), or why it cannot be. */
export function restoreState(json: unknown): { state: PartitionDetectorState } | { error: string } {
  if (typeof json === 'object' && json !== null && (json as { v?: unknown }).v === 1)
    return restoreVersion1(json)
  const parsed = stateSchema.safeParse(json)
  if (!parsed.success) return { error: describeIssue(parsed.error) }
  const data = parsed.data
  const state = createDetectorState()
  state.maxEventTsMs = data.maxEventTsMs
  state.liveMs = data.liveMs
  for (const rule of data.rules) {
    const ruleState: RuleState = createRuleState(rule.signature)
    for (const [key, serialized] of rule.keys) {
      if (serialized.c === undefined || serialized.m === undefined || serialized.a === undefined)
        return { error: `detector state: rule ${rule.name}, key ${key}: no clock` }
      const keyState = restoreKey(serialized, serialized.c, serialized.c - serialized.m, serialized.a)
      if (typeof keyState === 'string')
        return { error: `detector state: rule ${rule.name}, key ${key}: ${keyState}` }
      let tsMs = 0
      keyState.pending = heapify(
        (serialized.o ?? []).map(([tsDeltaMs, eventId, value]) => {
          tsMs += tsDeltaMs
          return { tsMs, eventId, value }
        }),
      )
      ruleState.keys.set(key, keyState)
      if (keyState.episode) ruleState.openKeys.add(key)
    }
    state.rules.set(rule.name, ruleState)
  }
  return { state }
}

/**
 * A version 1 state: everything before the partition's watermark was evaluated, so it becomes each
 * key's watermark (and clock, unless the key's buffer holds newer events); the rule's buffer is
 * shared out to the keys. The keys' silence starts now.
 */
function restoreVersion1(json: unknown): { state: PartitionDetectorState } | { error: string } {
  const parsed = stateSchemaV1.safeParse(json)
  if (!parsed.success) return { error: describeIssue(parsed.error) }
  const data = parsed.data
  const state = createDetectorState()
  state.maxEventTsMs = data.maxEventTsMs
  const watermarkMs = data.watermarkMs ?? Number.NEGATIVE_INFINITY
  for (const rule of data.rules) {
    const ruleState: RuleState = createRuleState(rule.signature)
    for (const [key, serialized] of rule.keys) {
      const keyState = restoreKey(serialized, watermarkMs, watermarkMs, 0)
      if (typeof keyState === 'string')
        return { error: `detector state: rule ${rule.name}, key ${key}: ${keyState}` }
      ruleState.keys.set(key, keyState)
      if (keyState.episode) ruleState.openKeys.add(key)
    }
    let tsMs = 0
    for (const [tsDeltaMs, eventId, key, value] of rule.pending) {
      tsMs += tsDeltaMs
      let keyState = ruleState.keys.get(key)
      if (!keyState) {
        keyState = createKeyState(tsMs, watermarkMs, 0)
        ruleState.keys.set(key, keyState)
      }
      if (tsMs > keyState.newestMs) keyState.newestMs = tsMs
      keyState.pending.push({ tsMs, eventId, value })
    }
    for (const keyState of ruleState.keys.values()) keyState.pending = heapify(keyState.pending)
    state.rules.set(rule.name, ruleState)
  }
  return { state }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!
  return `detector state: ${issue.path.join('.') || '(root)'}: ${issue.message}`
}

function restoreKey(
  serialized: SerializedKey,
  newestMs: number,
  watermarkMs: number,
  seenAtMs: number,
): KeyState | string {
  const key = createKeyState(newestMs, watermarkMs, seenAtMs)
  const times = serialized.w ?? []
  const runs = serialized.r ?? []
  if (times.length !== runs.length) return 'window times and runs differ in length'
  if (times.slice(1).some((delta) => delta <= 0)) return 'window times are not increasing'
  let tsMs = 0
  key.windowTs = times.map((delta) => {
    tsMs += delta
    return tsMs
  })
  key.windowRuns = [...runs]
  key.windowCount = runs.reduce((sum, n) => sum + n, 0)
  key.windowSeq = serialized.q ?? 0
  key.lastEvalMs = serialized.e ?? null
  key.streakStartMs = serialized.s ?? null
  key.unreportedCount = serialized.u ?? 0
  key.unreportedPeak = serialized.p ?? null
  key.latched = serialized.l === 1
  if (serialized.ep) {
    const { quietPeriodMs, resolveAtMs, countedThroughSeq } = serialized.ep
    const anomaly: Anomaly = { ...serialized.ep.anomaly }
    if (anomaly.resolvedAtMs === undefined) delete anomaly.resolvedAtMs
    if (anomaly.windowMs === undefined) delete anomaly.windowMs
    key.episode = { anomaly, quietPeriodMs, resolveAtMs, countedThroughSeq }
  }
  return key
}
