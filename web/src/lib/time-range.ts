// The time range shared by every page, kept in the URL as `from` and `to`: a relative `-15m`
// (ending now) or ISO instants from the custom picker. The API takes both forms as they are.
import { useLocation } from './router.ts'

export const RANGE_PRESETS = [
  { label: 'Last 15 m', from: '-15m' },
  { label: 'Last 1 h', from: '-1h' },
  { label: 'Last 24 h', from: '-24h' },
] as const

export const DEFAULT_FROM = '-15m'

export interface TimeRange {
  from: string
  to: string | null
  /** the range's length, for choosing chart buckets */
  spanMs: number
  label: string
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseRelativeMs(text: string): number | null {
  const match = /^-(\d+)([smhd])$/.exec(text)
  if (!match) return null
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

export function readTimeRange(params: URLSearchParams, nowMs: number): TimeRange {
  const from = params.get('from') || DEFAULT_FROM
  const to = params.get('to') || null
  const relative = parseRelativeMs(from)
  const preset = RANGE_PRESETS.find((p) => p.from === from)
  if (relative !== null && to === null) {
    return { from, to, spanMs: relative, label: preset?.label ?? `Last ${from.slice(1)}` }
  }
  const fromMs = relative !== null ? nowMs - relative : Date.parse(from)
  const toMs = to ? Date.parse(to) : nowMs
  const spanMs = Number.isFinite(fromMs) && Number.isFinite(toMs) ? Math.max(toMs - fromMs, 1_000) : 900_000
  return { from, to, spanMs, label: 'Custom' }
}

export function useTimeRange(): TimeRange {
  const { params } = useLocation()
  return readTimeRange(params, Date.now())
}

/** The range's query parameters, to carry across pages. */
export function rangeSearch(params: URLSearchParams): string {
  const keep = new URLSearchParams()
  for (const name of ['from', 'to']) {
    const value = params.get(name)
    if (value) keep.set(name, value)
  }
  const text = keep.toString()
  return text ? `?${text}` : ''
}
