// Numbers, durations and times as people read them in a notification. Fixed locale and UTC, so the
// same anomaly always reads the same.

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  return NUMBER.format(value)
}

/** 250 ms, 5 s, 1.5 s, 90 s, 5 min, 2 h */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown'
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 6_000) / 10} min`
  return `${Math.round(ms / 360_000) / 10} h`
}

/** 2025-01-01 10:00:05 UTC */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown time'
  const date = new Date(ms)
  if (Number.isNaN(date.getTime())) return 'unknown time'
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}
