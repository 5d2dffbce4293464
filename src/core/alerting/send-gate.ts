// The rate limit of one webhook: a token bucket (Slack allows about one message per second per
// webhook, with short bursts) and a pause that a 429 imposes. Decisions only: the state is kept
// by the caller (the alert store keeps it in PostgreSQL, so every alerter process shares it), and
// the time is passed in.

export interface RatePolicy {
  /** sustained messages per second */
  ratePerSecond: number
  /** messages that may go at once after a quiet spell */
  burst: number
}

export interface GateState {
  /** may be negative: slots already promised to messages waiting for them */
  tokens: number
  /** the time `tokens` was counted at */
  refilledAtMs: number
  /** nothing is sent before this (a 429's Retry-After); 0 when not paused */
  pausedUntilMs: number
}

export const SLACK_RATE: RatePolicy = { ratePerSecond: 1, burst: 3 }

/**
 * Reserves the next send slot: when the message may go. A slot reserved is spent even if the
 * message is then not sent, so a caller reserves right before it would send. In any span of W ms
 * the slots handed out number at most `burst + W * ratePerSecond / 1000`.
 */
export function reserveSendSlot(
  state: GateState | undefined,
  nowMs: number,
  policy: RatePolicy,
): { state: GateState; sendAtMs: number } {
  const current = state ?? { tokens: policy.burst, refilledAtMs: nowMs, pausedUntilMs: 0 }
  const startMs = Math.max(nowMs, current.pausedUntilMs, current.refilledAtMs)
  const refilled = Math.min(
    policy.burst,
    current.tokens + ((startMs - current.refilledAtMs) * policy.ratePerSecond) / 1_000,
  )
  const tokens = refilled - 1
  const sendAtMs = tokens >= 0 ? startMs : startMs + (-tokens * 1_000) / policy.ratePerSecond
  return { state: { tokens, refilledAtMs: startMs, pausedUntilMs: current.pausedUntilMs }, sendAtMs }
}

/**
 * Pauses the webhook for `pauseMs` from `nowMs` (a longer pause already set stays). When it ends,
 * at most one message may go at once and the rest at the sustained rate: no burst straight after
 * a 429.
 */
export function pauseSends(
  state: GateState | undefined,
  nowMs: number,
  pauseMs: number,
  policy: RatePolicy,
): GateState {
  const current = state ?? { tokens: policy.burst, refilledAtMs: nowMs, pausedUntilMs: 0 }
  const untilMs = Math.max(nowMs + Math.max(0, pauseMs), current.pausedUntilMs, current.refilledAtMs)
  const atUntil = Math.min(
    policy.burst,
    current.tokens + ((untilMs - current.refilledAtMs) * policy.ratePerSecond) / 1_000,
  )
  return { tokens: Math.min(1, atUntil), refilledAtMs: untilMs, pausedUntilMs: untilMs }
}
