// The detection semantics the generator injects against, and the limits natural traffic keeps to.
// The detector (src/core/detect) is built to the same spec:
//   error_burst        more than `errorBurst.count` ERROR logs of one service within a sliding
//                      `errorBurst.windowMs` of event time; fires at the (count + 1)-th
//   high_cpu           a metric with cpu > `cpuPercent`, per service
//   high_latency       a metric with latency_ms > `latencyMs`, per service
//   large_transaction  a transaction with amount > `amount`; key = transaction_id, each its own anomaly
// An episode opens when a rule first holds for its key (first seen = that event's time), stays open
// while it holds, and resolves after `quietMs` of event time without it holding.

export const ANOMALY_RULES = ['error_burst', 'high_cpu', 'high_latency', 'large_transaction'] as const
export type AnomalyRule = (typeof ANOMALY_RULES)[number]

export const THRESHOLDS = {
  errorBurst: { count: 20, windowMs: 60_000 },
  cpuPercent: 85,
  latencyMs: 400,
  amount: 10_000,
  quietMs: 5 * 60_000,
} as const

/** Natural traffic stays strictly below every threshold, with room to spare. */
export const NATURAL_LIMITS = {
  cpuPercent: 80,
  latencyMs: 350,
  amount: 9_999.99,
  /** natural ERROR logs per service within any sliding errorBurst window */
  errorsPerWindow: 5,
} as const

/**
 * Two injections for one (rule, key) closer than this would merge into one episode (quiet period
 * + window + margin), so the injector keeps at least this much event time between the end of one
 * and the start of the next.
 */
export const INJECTION_SPACING_MS = 7 * 60_000

/** No natural ERROR log of a bursting service within this much event time of its burst. */
export const BURST_BLACKOUT_MS = THRESHOLDS.errorBurst.windowMs + 5_000
