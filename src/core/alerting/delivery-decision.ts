// What to do after one attempt to deliver a message, after Alertmanager's notifiers ("can a retry
// help?"): the webhook's answer (or its absence) in, a decision out. Pure: time and randomness
// are passed in.
//
// - 2xx: delivered; the anomalies are marked notified.
// - 429: Slack's rate limit: pause the webhook for its Retry-After, then retry the same message.
// - 408, 5xx, a reset connection, a timeout: retry the same message after an exponential backoff
//   with jitter. (A timed-out request may have been posted after all: Slack then shows it twice.)
// - any other answer (a revoked webhook: 403/404/410, a bad payload: 400): Slack will not take
//   it as it is. The message is set aside and retried slowly; its anomalies stay pending.

export type DeliveryOutcome =
  /** the webhook answered */
  | { kind: 'response'; status: number; body: string; retryAfter: string | null }
  /** no answer within the timeout */
  | { kind: 'timeout'; timeoutMs: number }
  /** the connection failed or was reset */
  | { kind: 'network'; message: string; code?: string }

export type DeliveryDecision =
  | { action: 'delivered' }
  | { action: 'pause'; delayMs: number; reason: string }
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'park'; delayMs: number; reason: string }

export interface RetryPolicy {
  /** backoff before the first retry; doubles each attempt */
  initialDelayMs: number
  maxDelayMs: number
  /** how long a message Slack refused (other 4xx) is set aside before it is tried again */
  parkMs: number
  /** used when a 429 comes without a usable Retry-After */
  defaultRetryAfterMs: number
  /** a Retry-After longer than this is capped */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  parkMs: 5 * 60_000,
  defaultRetryAfterMs: 1_000,
  maxRetryAfterMs: 15 * 60_000,
}

/**
 * @param attempt how many retries this message already had for 5xx/timeouts/resets (0 after the first try)
 * @param random a number in [0, 1) for the jitter
 */
export function decideDelivery(
  outcome: DeliveryOutcome,
  attempt: number,
  nowMs: number,
  random: number,
  policy: RetryPolicy,
): DeliveryDecision {
  switch (outcome.kind) {
    case 'timeout':
      return {
        action: 'retry',
        delayMs: backoffDelayMs(attempt, random, policy),
        reason: `timeout after ${outcome.timeoutMs} ms`,
      }
    case 'network':
      return {
        action: 'retry',
        delayMs: backoffDelayMs(attempt, random, policy),
        reason: `network error${outcome.code ? ` ${outcome.code}` : ''}: ${outcome.message}`,
      }
    case 'response': {
      const { status } = outcome
      if (status >= 200 && status < 300) return { action: 'delivered' }
      const answer = `${status}${outcome.body ? ` ${oneLine(outcome.body)}` : ''}`
      if (status === 429) {
        const retryAfterMs = parseRetryAfterMs(outcome.retryAfter, nowMs) ?? policy.defaultRetryAfterMs
        return {
          action: 'pause',
          delayMs: Math.min(retryAfterMs, policy.maxRetryAfterMs),
          reason: `rate limited: ${answer}`,
        }
      }
      if (status === 408 || (status >= 500 && status < 600)) {
        return {
          action: 'retry',
          delayMs: backoffDelayMs(attempt, random, policy),
          reason: `server error: ${answer}`,
        }
      }
      return { action: 'park', delayMs: policy.parkMs, reason: `refused: ${answer}` }
    }
  }
}

/**
 * "Equal jitter": half the exponential ceiling for sure, the other half at random. So a retry never
 * comes sooner than half the backoff, and retries of many clients still spread out.
 */
export function backoffDelayMs(attempt: number, random: number, policy: RetryPolicy): number {
  const ceilingMs = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * 2 ** Math.min(Math.max(attempt, 0), 30),
  )
  const r = Math.min(Math.max(random, 0), 1)
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * r)
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when unusable. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1_000
  if (!/[a-z]/i.test(text)) return undefined
  const dateMs = Date.parse(text)
  if (Number.isNaN(dateMs)) return undefined
  return Math.max(0, dateMs - nowMs)
}

/** Slack answers errors in a word (`invalid_token`, `no_service`); anything longer is cut for logs. */
function oneLine(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}
