// Time parameters: `from` and `to` as ISO 8601 (a date-time with or without an offset, taken as
// UTC without; or a date), epoch milliseconds, `now`, or relative to now: `-15m`, `-2h`, `-7d`
// (also `now-15m`). Resolved against a clock passed in, to epoch milliseconds.
import { parseTimestampMs } from '../core/clean/index.ts'
import { badRequest } from './api-error.ts'

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const RELATIVE = /^(?:now)?-(\d{1,9})(ms|s|m|h|d|w)$/

/** Epoch ms, or undefined when `text` is not a time this API reads. */
export function parseTimeParam(text: string, nowMs: number): number | undefined {
  const trimmed = text.trim()
  if (trimmed === 'now') return nowMs
  const relative = RELATIVE.exec(trimmed)
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]
  if (/^\d{1,16}$/.test(trimmed)) return Number(trimmed)
  if (!/^\d{4}-/.test(trimmed)) return undefined
  const ms = parseTimestampMs(trimmed)
  return Number.isFinite(ms) ? ms : undefined
}

export const TIME_PARAM_HELP =
  'expected an ISO 8601 time (2025-01-31T12:00:00Z), epoch ms, "now" or "-15m", "-2h", "-7d"'

/** A duration with a unit: 500ms, 30s, 5m, 2h, 1d, 1w; undefined otherwise. */
export function parseDurationParam(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(text.trim())
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined
}

export interface RangeOptions {
  nowMs: number
  /** `from` when absent: now minus this */
  defaultLookbackMs: number
  /** longest to - from (an absent `to` counts as now) */
  maxRangeMs: number
  /** true: an absent `to` is now; false: no upper bound */
  toDefaultsToNow: boolean
}

export interface ResolvedRange {
  fromMs: number
  toMs: number | null
}

/** Resolves `from` and `to`; a bad one throws a 400 naming it. */
export function resolveRange(input: { from?: string; to?: string }, options: RangeOptions): ResolvedRange {
  const { nowMs } = options
  const fromMs =
    input.from === undefined ? nowMs - options.defaultLookbackMs : parseTimeParam(input.from, nowMs)
  if (fromMs === undefined) throw badRequest(`from: ${TIME_PARAM_HELP}`)
  let toMs: number | null = options.toDefaultsToNow ? nowMs : null
  if (input.to !== undefined) {
    const parsed = parseTimeParam(input.to, nowMs)
    if (parsed === undefined) throw badRequest(`to: ${TIME_PARAM_HELP}`)
    toMs = parsed
  }
  const endMs = toMs ?? nowMs
  if (toMs !== null && fromMs >= toMs) throw badRequest('from: must be before to')
  if (endMs - fromMs > options.maxRangeMs) {
    throw badRequest(
      `from: the range is longer than ${formatMs(options.maxRangeMs)}, the most one request may cover`,
    )
  }
  return { fromMs, toMs }
}

export function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
