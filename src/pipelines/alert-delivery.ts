// The alerter's delivery of one message: wait for the webhook's slot, check the claims still
// hold, post, and act on the answer (core/alerting's decideDelivery) until Slack accepts it,
// refuses it, or the alerter stops. The pipeline (alert.ts) decides what to send; this sends it.
import { setTimeout as sleep } from 'node:timers/promises'
import type { AlertStore } from '../adapters/postgres/alert-store.ts'
import type { Notifier } from '../adapters/slack/notifier.ts'
import {
  type DeliveryDecision,
  decideDelivery,
  type Notification,
  pauseSends,
  type RatePolicy,
  type RetryPolicy,
  reserveSendSlot,
} from '../core/alerting/index.ts'
import type { Logger } from '../observability/logger.ts'
import { retryWhileRetriable } from './retry.ts'

export interface DeliveryContext {
  store: AlertStore
  notifier: Notifier
  /** this alerter in notify_claimed_by */
  owner: string
  leaseMs: number
  rate: RatePolicy
  retryPolicy: RetryPolicy
  now: () => number
  random: () => number
  log: Logger
  /** every attempt's decision, for health, metrics and logs */
  onDecision(decision: DeliveryDecision, notification: Notification, attempt: number): void
}

export type DeliveryResult =
  /** Slack accepted it; `marked` false when it could not be recorded (it may then go again) */
  | { result: 'delivered'; marked: boolean }
  /** Slack refused it: its anomalies are set aside until a slow retry, still pending */
  | { result: 'set-aside' }
  /** another alerter took some of its anomalies over (our lease ran out): `kept` are still ours */
  | { result: 'claims-lost'; kept: Set<string> }
  /** the alerter is stopping; nothing more was sent */
  | { result: 'stopped' }

/** Waits for the webhook's next send slot (a token bucket every alerter shares through the store). */
export async function waitForSendSlot(ctx: DeliveryContext, signal: AbortSignal): Promise<void> {
  const gate = ctx.notifier.gate
  if (gate === undefined) return
  const waitMs = await ctx.store.updateGate(gate, (state, nowMs) => {
    const slot = reserveSendSlot(state, nowMs, ctx.rate)
    return { state: slot.state, result: slot.sendAtMs - nowMs }
  })
  if (waitMs > 0) await pause(waitMs, signal)
}

/**
 * Sends one message until Slack accepts or refuses it, or the alerter stops. The slot of the first
 * attempt must be reserved already; every retry reserves its own. A request once sent is awaited
 * even when stopping (it is bounded by the notifier's timeout), so a delivered message is marked.
 * Rejects only when the database fails.
 */
export async function deliverNotification(
  ctx: DeliveryContext,
  notification: Notification,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  const { store, owner, leaseMs, notifier } = ctx
  const ids = notification.anomalyIds
  let attempt = 0
  for (let first = true; ; first = false) {
    if (!first) {
      await waitForSendSlot(ctx, signal)
      if (signal.aborted) return { result: 'stopped' }
    }
    // a lease can run out while Slack holds us back: send only what is still ours
    const kept = await store.renewClaims(owner, ids, leaseMs)
    if (kept.size < ids.length) return { result: 'claims-lost', kept }
    const outcome = await notifier.send(notification)
    const decision = decideDelivery(outcome, attempt, ctx.now(), ctx.random(), ctx.retryPolicy)
    ctx.onDecision(decision, notification, attempt)
    switch (decision.action) {
      case 'delivered':
        return { result: 'delivered', marked: await markDelivered(ctx, notification, signal) }
      case 'pause':
        if (notifier.gate !== undefined) {
          await store.updateGate(notifier.gate, (state, nowMs) => ({
            state: pauseSends(state, nowMs, decision.delayMs, ctx.rate),
            result: undefined,
          }))
        }
        continue
      case 'retry':
        attempt += 1
        await pause(decision.delayMs, signal)
        if (signal.aborted) return { result: 'stopped' }
        continue
      case 'park':
        await store.setAside(owner, ids, decision.delayMs, decision.reason)
        return { result: 'set-aside' }
    }
  }
}

async function markDelivered(
  ctx: DeliveryContext,
  notification: Notification,
  signal: AbortSignal,
): Promise<boolean> {
  let marked: string[]
  try {
    marked = await retryWhileRetriable(() => ctx.store.markDelivered(notification), {
      signal,
      logger: ctx.log,
      what: 'mark notified',
    })
  } catch (error) {
    // delivered but not recorded: once the lease runs out, it is sent again
    ctx.log.error(
      { err: error, anomalyIds: notification.anomalyIds },
      'delivered, but could not mark notified: these may be sent again',
    )
    return false
  }
  if (marked.length < notification.anomalyIds.length) {
    ctx.log.warn(
      { alreadyMarked: notification.anomalyIds.length - marked.length, rule: notification.rule },
      'some anomalies were already marked notified: they were sent twice',
    )
  }
  return true
}

/** Sleeps, or returns early when the signal aborts (the caller checks it). */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch {
    // aborted
  }
}
