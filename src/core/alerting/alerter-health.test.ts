import { describe, expect, it } from 'vitest'
import {
  createAlerterHealth,
  recordDelivery,
  recordStoreError,
  recordStoreRecovered,
} from './alerter-health.ts'
import type { DeliveryDecision } from './delivery-decision.ts'
import { T0 } from './test-builders.ts'

const delivered: DeliveryDecision = { action: 'delivered' }
const refused: DeliveryDecision = { action: 'park', delayMs: 300_000, reason: 'refused: 403 invalid_token' }
const serverError: DeliveryDecision = { action: 'retry', delayMs: 1_000, reason: 'server error: 500' }
const limited: DeliveryDecision = { action: 'pause', delayMs: 2_000, reason: 'rate limited: 429' }

function replay(decisions: DeliveryDecision[]) {
  return decisions.reduce((h, d, i) => recordDelivery(h, d, 10, T0 + i), createAlerterHealth(true))
}

describe('alerter health', () => {
  it.each<[string, DeliveryDecision[], string]>([
    ['nothing yet', [], 'ok'],
    ['delivered', [delivered], 'ok'],
    ['rate limited', [limited], 'degraded'],
    ['server errors', [serverError, serverError], 'degraded'],
    ['refused', [refused], 'failing'],
    ['refused, then a server error', [refused, serverError], 'failing'],
    ['refused, then delivered', [refused, delivered], 'ok'],
    ['retried, then delivered', [serverError, limited, delivered], 'ok'],
  ])('%s: %s', (_, decisions, status) => {
    expect(replay(decisions).status).toBe(status)
  })

  it('counts each kind of failure and keeps the last answer', () => {
    const health = replay([limited, serverError, serverError, refused])
    expect(health).toMatchObject({
      rateLimited: 1,
      retried: 2,
      refused: 1,
      consecutiveFailures: 4,
      messagesDelivered: 0,
      lastFailure: { action: 'park', reason: 'refused: 403 invalid_token', atMs: T0 + 3 },
    })
    expect(recordDelivery(health, delivered, 7, T0 + 9)).toMatchObject({
      anomaliesNotified: 7,
      messagesDelivered: 1,
      consecutiveFailures: 0,
      lastDeliveredAtMs: T0 + 9,
    })
  })

  it('is degraded while the database is unreachable, and ok when it answers again', () => {
    const down = recordStoreError(createAlerterHealth(true), 'db_unavailable', T0)
    expect(down).toMatchObject({ status: 'degraded', storeErrors: 1 })
    expect(recordStoreRecovered(down).status).toBe('ok')
    const refusedAndDown = recordStoreError(replay([refused]), 'db_unavailable', T0)
    expect(recordStoreRecovered(refusedAndDown).status).toBe('failing')
  })
})
