// Keeps natural ERROR logs rare enough that they never fire error_burst on their own (at most
// NATURAL_LIMITS.errorsPerWindow per service within any sliding window) and absent around an
// injected burst, so that the burst's first_seen is exactly its own (count + 1)-th error.
import { NATURAL_LIMITS, THRESHOLDS } from './anomaly-spec.ts'

export interface ErrorBudget {
  /** true (and counted) when a natural ERROR for `service` at `tsMs` is allowed; else log a WARN */
  allow(service: string, tsMs: number): boolean
  /** event time of the last natural ERROR of `service`, or -Infinity */
  lastErrorMs(service: string): number
  /** no natural ERROR of `service` from `fromMs` until `untilMs` (exclusive); Infinity: until told */
  blackout(service: string, fromMs: number, untilMs: number): void
}

export function createErrorBudget(): ErrorBudget {
  // per service, the event times of its recent natural errors, oldest first (at most the limit)
  const recent = new Map<string, number[]>()
  const blackouts = new Map<string, { fromMs: number; untilMs: number }>()
  const windowMs = THRESHOLDS.errorBurst.windowMs

  return {
    allow(service, tsMs) {
      const blackout = blackouts.get(service)
      if (blackout && tsMs >= blackout.fromMs && tsMs < blackout.untilMs) return false
      let times = recent.get(service)
      if (!times) {
        times = []
        recent.set(service, times)
      }
      // the rule's window is (t - windowMs, t]; keep a margin so rounding never matters
      while (times.length > 0 && times[0]! <= tsMs - windowMs - 1_000) times.shift()
      if (times.length >= NATURAL_LIMITS.errorsPerWindow) return false
      times.push(tsMs)
      return true
    },
    lastErrorMs(service) {
      const times = recent.get(service)
      return times && times.length > 0 ? times[times.length - 1]! : Number.NEGATIVE_INFINITY
    },
    blackout(service, fromMs, untilMs) {
      blackouts.set(service, { fromMs, untilMs })
    },
  }
}
