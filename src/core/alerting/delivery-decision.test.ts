// Like Alertmanager's notifier tests: the webhook's answer -> retry or not, and how long to wait.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  type DeliveryOutcome,
  decideDelivery,
  parseRetryAfterMs,
} from './delivery-decision.ts'

const NOW = Date.UTC(2025, 0, 1, 10, 0, 0)
const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 1_000, maxDelayMs: 60_000, parkMs: 300_000 }
const response = (status: number, body = '', retryAfter: string | null = null): DeliveryOutcome => ({
  kind: 'response',
  status,
  body,
  retryAfter,
})

describe('decideDelivery', () => {
  it.each<[string, DeliveryOutcome, string, number | undefined]>([
    ['200 ok', response(200, 'ok'), 'delivered', undefined],
    ['204', response(204), 'delivered', undefined],
    ['429 with Retry-After: 2', response(429, 'rate_limited', '2'), 'pause', 2_000],
    ['429 with an HTTP date', response(429, '', new Date(NOW + 30_000).toUTCString()), 'pause', 30_000],
    ['429 without Retry-After', response(429), 'pause', 1_000],
    ['429 with a garbage Retry-After', response(429, '', 'soon'), 'pause', 1_000],
    ['429 asking for a day', response(429, '', '86400'), 'pause', 15 * 60_000],
    ['500', response(500, 'internal_error'), 'retry', undefined],
    ['502', response(502), 'retry', undefined],
    ['503', response(503), 'retry', undefined],
    ['504', response(504), 'retry', undefined],
    ['408', response(408), 'retry', undefined],
    ['timeout', { kind: 'timeout', timeoutMs: 10_000 }, 'retry', undefined],
    ['reset', { kind: 'network', message: 'socket hang up', code: 'ECONNRESET' }, 'retry', undefined],
    ['refused', { kind: 'network', message: 'connect failed', code: 'ECONNREFUSED' }, 'retry', undefined],
    ['400 invalid_payload', response(400, 'invalid_payload'), 'park', 300_000],
    ['400 invalid_blocks', response(400, 'invalid_blocks'), 'park', 300_000],
    ['403 invalid_token', response(403, 'invalid_token'), 'park', 300_000],
    ['403 action_prohibited', response(403, 'action_prohibited'), 'park', 300_000],
    ['404 no_service (revoked webhook)', response(404, 'no_service'), 'park', 300_000],
    ['410 channel_is_archived', response(410, 'channel_is_archived'), 'park', 300_000],
    ['413', response(413), 'park', 300_000],
    ['301 (a redirect not followed)', response(301), 'park', 300_000],
  ])('%s -> %s', (_, outcome, action, delayMs) => {
    const decision = decideDelivery(outcome, 0, NOW, 0.5, policy)
    expect(decision.action).toBe(action)
    if (delayMs !== undefined && decision.action !== 'delivered') expect(decision.delayMs).toBe(delayMs)
  })

  it("names Slack's answer in the reason", () => {
    expect(decideDelivery(response(403, 'invalid_token'), 0, NOW, 0, policy)).toMatchObject({
      reason: 'refused: 403 invalid_token',
    })
    expect(decideDelivery(response(500, 'x'.repeat(500)), 0, NOW, 0, policy)).toMatchObject({
      reason: expect.stringMatching(/^server error: 500 x{199}…$/),
    })
  })
})

describe('backoffDelayMs', () => {
  it.each([
    [0, 0, 500],
    [0, 0.999999, 1_000],
    [1, 0, 1_000],
    [2, 0.5, 3_000],
    [5, 0, 16_000],
    [6, 1, 60_000],
    [50, 0, 30_000],
  ])('attempt %i, random %d -> %i ms', (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, random, policy)).toBe(expected)
  })

  it('never waits less than half the exponential ceiling, nor more than the ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt)
          const delay = backoffDelayMs(attempt, r, policy)
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2))
          expect(delay).toBeLessThanOrEqual(ceiling)
        },
      ),
    )
  })
})

describe('parseRetryAfterMs', () => {
  it.each<[string | null, number | undefined]>([
    ['2', 2_000],
    [' 30 ', 30_000],
    ['0', 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['', undefined],
    [null, undefined],
    [new Date(NOW + 5_000).toUTCString(), 5_000],
    [new Date(NOW - 5_000).toUTCString(), 0],
    ['Wed, 99 Foo 2025', undefined],
  ])('%j -> %j', (header, expected) => {
    expect(parseRetryAfterMs(header, NOW)).toBe(expected)
  })
})
