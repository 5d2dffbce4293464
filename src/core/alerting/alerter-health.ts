// The alerter's health, for people and for the API's /readyz: what was delivered, what failed and
// how, and whether Slack is refusing our messages. Updated by pure functions from each decision.
import type { DeliveryDecision } from './delivery-decision.ts'

export type AlerterStatus =
  /** delivering, or nothing to deliver */
  | 'ok'
  /** retrying: rate limited, server errors, timeouts, or the database is unreachable */
  | 'degraded'
  /** Slack refuses our messages (revoked webhook, bad payload) and nothing was delivered since */
  | 'failing'

export interface AlerterHealth {
  status: AlerterStatus
  /** false: SLACK_WEBHOOK_URL unset, notifications are only logged */
  webhookConfigured: boolean
  messagesDelivered: number
  anomaliesNotified: number
  anomaliesSilenced: number
  /** 429 answers */
  rateLimited: number
  /** 5xx answers, timeouts and resets */
  retried: number
  /** other refusals (4xx), each logged with Slack's answer */
  refused: number
  /** failures to reach the database */
  storeErrors: number
  /** failed attempts since the last delivery */
  consecutiveFailures: number
  lastDeliveredAtMs: number | null
  lastFailure: { atMs: number; action: 'pause' | 'retry' | 'park' | 'store'; reason: string } | null
}

export function createAlerterHealth(webhookConfigured: boolean): AlerterHealth {
  return {
    status: 'ok',
    webhookConfigured,
    messagesDelivered: 0,
    anomaliesNotified: 0,
    anomaliesSilenced: 0,
    rateLimited: 0,
    retried: 0,
    refused: 0,
    storeErrors: 0,
    consecutiveFailures: 0,
    lastDeliveredAtMs: null,
    lastFailure: null,
  }
}

/** The health after one delivery attempt about `anomalies` anomalies. */
export function recordDelivery(
  health: AlerterHealth,
  decision: DeliveryDecision,
  anomalies: number,
  nowMs: number,
): AlerterHealth {
  switch (decision.action) {
    case 'delivered':
      return {
        ...health,
        status: 'ok',
        messagesDelivered: health.messagesDelivered + 1,
        anomaliesNotified: health.anomaliesNotified + anomalies,
        consecutiveFailures: 0,
        lastDeliveredAtMs: nowMs,
      }
    case 'pause':
    case 'retry':
    case 'park': {
      const failure = { atMs: nowMs, action: decision.action, reason: decision.reason }
      const refused = decision.action === 'park'
      return {
        ...health,
        status: refused || health.status === 'failing' ? 'failing' : 'degraded',
        rateLimited: health.rateLimited + (decision.action === 'pause' ? 1 : 0),
        retried: health.retried + (decision.action === 'retry' ? 1 : 0),
        refused: health.refused + (refused ? 1 : 0),
        consecutiveFailures: health.consecutiveFailures + 1,
        lastFailure: failure,
      }
    }
  }
}

export function recordSilenced(health: AlerterHealth, anomalies: number): AlerterHealth {
  return { ...health, anomaliesSilenced: health.anomaliesSilenced + anomalies }
}

/** A database failure: the alerter retries; the webhook's own state is unchanged. */
export function recordStoreError(health: AlerterHealth, reason: string, nowMs: number): AlerterHealth {
  return {
    ...health,
    status: health.status === 'failing' ? 'failing' : 'degraded',
    storeErrors: health.storeErrors + 1,
    lastFailure: { atMs: nowMs, action: 'store', reason },
  }
}

/** The database answered again: a 'degraded' that only the database caused is over. */
export function recordStoreRecovered(health: AlerterHealth): AlerterHealth {
  if (
    health.status !== 'degraded' ||
    health.lastFailure?.action !== 'store' ||
    health.consecutiveFailures > 0
  ) {
    return health
  }
  return { ...health, status: 'ok' }
}
