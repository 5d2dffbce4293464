// The detector state as JSON, for the etl to store with each batch (jsonb) and restore on
// partition assignment. Versioned; restoring checks the shape and reports a problem as a value.
// Windows and pending observations make up most of the bytes: short property names, and their
// timestamps written as differences from the previous one (the first from 0).
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

const FORMAT_VERSION = 1

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
    watermarkMs: state.watermarkMs,
    sweptAtMs: state.sweptAtMs,
    rules: [...state.rules].map(([name, rule]) => ({
      name,
      signature: rule.signature,
      pending: rule.pending.map((o, i, all) => {
        const tsDeltaMs = o.tsMs - (i === 0 ? 0 : all[i - 1]!.tsMs)
        return [tsDeltaMs, o.eventId, o.key, o.value] as [number, string, string, number]
      }),
      keys: [...rule.keys].map(([key, keyState]) => [key, serializeKey(keyState)] as [string, SerializedKey]),
    })),
  }
}

type SerializedKey = z.infer<typeof keySchema>

function serializeKey(key: KeyState): SerializedKey {
  const out: SerializedKey = {}
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
  const parsed = stateSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { error: `detector state: ${issue.path.join('.') || '(root)'}: ${issue.message}` }
  }
  const data = parsed.data
  const state = createDetectorState()
  state.maxEventTsMs = data.maxEventTsMs
  state.watermarkMs = data.watermarkMs
  state.sweptAtMs = data.sweptAtMs
  for (const rule of data.rules) {
    const ruleState: RuleState = createRuleState(rule.signature)
    let tsMs = 0
    ruleState.pending = heapify(
      rule.pending.map(([tsDeltaMs, eventId, key, value]) => {
        tsMs += tsDeltaMs
        return { tsMs, eventId, key, value }
      }),
    )
    for (const [key, serialized] of rule.keys) {
      const keyState = restoreKey(serialized)
      if (typeof keyState === 'string')
        return { error: `detector state: rule ${rule.name}, key ${key}: ${keyState}` }
      ruleState.keys.set(key, keyState)
      if (keyState.episode) ruleState.openKeys.add(key)
    }
    state.rules.set(rule.name, ruleState)
  }
  return { state }
}

function restoreKey(serialized: SerializedKey): KeyState | string {
  const key = createKeyState()
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
