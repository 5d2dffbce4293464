// The alerter: anomalies (the outbox) -> claim -> silence or group -> build -> rate-limit -> send
// -> mark notified. It reads top to bottom in that order:
//
//   claim loop   wakes on the etl's NOTIFY (or a short poll), claims pending anomalies with a lease
//                (FOR UPDATE SKIP LOCKED: two alerters never hold the same one), marks the silenced
//                ones, and adds the rest to groups per rule; it renews the leases of all it holds.
//   send loop    when a group is due, waits for the webhook's next slot (a token bucket shared by
//                every alerter in PostgreSQL), then takes what the group holds by then (so while
//                the rate limit holds messages back, new arrivals join the waiting digest), builds
//                one message, checks it still holds every claim, and posts it.
//   outcome      2xx: mark notified (only now). 429: pause the webhook for Retry-After, retry.
//                5xx/reset/timeout: back off with jitter, retry. Other 4xx: log Slack's answer,
//                count it, set the message aside for a slow retry; its anomalies stay pending.
//
// Each anomaly id is in exactly one delivered firing message: a message is built once and retried
// unchanged, and marked as soon as Slack accepted it. The one exception is a crash (or a database
// outage longer than the lease) between Slack's 2xx and the mark: that message is sent again once
// its lease runs out. docs/alerting.md says so.

import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { AlertStore } from '../adapters/postgres/alert-store.ts'
import type { Notifier } from '../adapters/slack/notifier.ts'
import {
  type AlertAnomaly,
  type AlerterHealth,
  addPending,
  buildNotification,
  createAlerterHealth,
  createGroupingState,
  DEFAULT_RETRY_POLICY,
  dropHeld,
  findSilence,
  type NotificationKind,
  nextDueGroup,
  type PendingNotification,
  type RatePolicy,
  type RetryPolicy,
  recordDelivery,
  recordSilenced,
  recordStoreError,
  recordStoreRecovered,
  returnToGroup,
  type Silence,
  SLACK_RATE,
  takeFromGroup,
  validateSlackMessage,
} from '../core/alerting/index.ts'
import { StreamwatchError } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { type DeliveryContext, deliverNotification, pause, waitForSendSlot } from './alert-delivery.ts'
import { retryWhileRetriable } from './retry.ts'

export interface AlerterDeps {
  store: AlertStore
  notifier: Notifier
  logger: Logger
  metrics?: Metrics
  /** the dashboard's base URL (config.publicUrl): links go to `${publicUrl}/anomalies/${id}` */
  publicUrl: string
  /** silences from the config (ALERT_SILENCES); the database's are read at each claim */
  silences?: readonly Silence[]
  /** a group is sent this long after its first anomaly arrived (default 5 s) */
  groupIntervalMs?: number
  /** how long a claim holds without renewal (default 30 s); at least twice the notifier's timeout plus a second */
  leaseMs?: number
  /** the safety-net poll, for NOTIFYs missed (default 2 s) */
  pollIntervalMs?: number
  /** the most anomalies held (claimed, not yet sent) at once (default 2,000) */
  maxHeld?: number
  /** the most anomalies in one message (default 200) */
  maxPerMessage?: number
  /** anomalies listed one by one in a message; the rest are counted (default 10) */
  listedPerMessage?: number
  rate?: RatePolicy
  retry?: Partial<RetryPolicy>
  /** this process in notify_claimed_by (default host:pid:random) */
  owner?: string
  now?: () => number
  random?: () => number
}

export interface AlerterSummary {
  claimed: number
  silenced: number
  messages: number
  notified: number
}

/** The alerter's health (for /readyz), with what it holds right now. */
export type AlerterHealthReport = AlerterHealth & { heldAnomalies: number; owner: string }

export interface Alerter {
  /** Runs until `signal` aborts; then finishes the request in flight and gives back what it holds. */
  run(signal: AbortSignal): Promise<AlerterSummary>
  health(): AlerterHealthReport
}

export function createAlerter(deps: AlerterDeps): Alerter {
  const { store, notifier, logger, metrics, publicUrl } = deps
  const now = deps.now ?? Date.now
  const random = deps.random ?? Math.random
  const groupIntervalMs = deps.groupIntervalMs ?? 5_000
  const leaseMs = deps.leaseMs ?? 30_000
  const pollIntervalMs = deps.pollIntervalMs ?? 2_000
  const maxHeld = deps.maxHeld ?? 2_000
  const maxPerMessage = deps.maxPerMessage ?? 200
  const listedMax = deps.listedPerMessage ?? 10
  const rate = deps.rate ?? SLACK_RATE
  const retryPolicy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry }
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const configSilences = deps.silences ?? []
  if (leaseMs < 2 * notifier.timeoutMs + 1_000) {
    // a claim must outlive any one request, or a second alerter could send the same message
    throw new StreamwatchError(
      'config_invalid',
      `alerter: a lease of ${leaseMs} ms is too short for a ${notifier.timeoutMs} ms request timeout`,
    )
  }

  const grouping = createGroupingState()
  const claimWake = createWaker()
  const sendWake = createWaker()
  let health = createAlerterHealth(notifier.webhookConfigured)
  let inFlight: AlertAnomaly[] = []
  const summary: AlerterSummary = { claimed: 0, silenced: 0, messages: 0, notified: 0 }
  const log = logger.child({ stage: 'alert' })
  let lastProblem: string | undefined

  /** Logs a failure when it differs from the last one (docs/conventions.md: log what changes). */
  function problem(reason: string, fields: Record<string, unknown>): void {
    const kind = reason.replace(/\d+ ms/g, '')
    if (kind !== lastProblem) log.warn({ ...fields, reason }, `alerter: ${reason}`)
    lastProblem = kind
  }

  function recovered(): void {
    if (lastProblem !== undefined) log.info('alerter: delivering again')
    lastProblem = undefined
  }

  function storeFailed(error: unknown): void {
    const code = error instanceof StreamwatchError ? error.code : 'internal'
    health = recordStoreError(health, `${code}: ${(error as Error).message}`, now())
    metrics?.errors.inc({ stage: 'alert', code })
    problem(`database: ${code}`, { err: error })
  }

  // ---- claim: the outbox -> silenced or held in groups ---------------------------------------

  async function claimLoop(signal: AbortSignal): Promise<void> {
    let renewedAtMs = now()
    let failures = 0
    while (!signal.aborted) {
      let more = false
      try {
        if (now() - renewedAtMs >= leaseMs / 3) {
          await renewHeld()
          renewedAtMs = now()
        }
        const room = maxHeld - grouping.held.size - inFlight.length
        if (room > 0) {
          const limit = Math.ceil(room / 2) // per kind: firing and resolved
          const claimed = await store.claimPending(owner, { limit, leaseMs })
          if (claimed.length > 0) await admit(claimed)
          more = claimed.length >= limit
        }
        health = recordStoreRecovered(health)
        failures = 0
      } catch (error) {
        storeFailed(error)
        failures += 1
        await pause(Math.min(pollIntervalMs * 2 ** failures, 30_000), signal)
        continue
      }
      // wake up often enough to renew the leases in time, whatever the poll interval
      if (!more) await claimWake.wait(Math.min(pollIntervalMs, leaseMs / 3), signal)
    }
  }

  async function admit(claimed: readonly PendingNotification[]): Promise<void> {
    const nowMs = now()
    summary.claimed += claimed.length
    metrics?.eventsReceived.inc({ stage: 'alert', topic: 'anomalies' }, claimed.length)
    const silences = [...configSilences, ...(await store.activeSilences())]
    const muted: Array<{ id: string; silenceId: string }> = []
    const pending: PendingNotification[] = []
    for (const item of claimed) {
      const silence = findSilence(silences, item.anomaly, nowMs)
      if (silence) muted.push({ id: item.anomaly.id, silenceId: silence.id })
      else pending.push(item)
    }
    if (muted.length > 0) {
      await store.markSilenced(owner, muted)
      summary.silenced += muted.length
      health = recordSilenced(health, muted.length)
      log.info(
        { silenced: muted.length, silences: [...new Set(muted.map((m) => m.silenceId))] },
        'anomalies silenced',
      )
    }
    addPending(grouping, pending, nowMs)
    sendWake.wake()
  }

  /** Extends the leases of everything held; drops what another alerter took over (we stalled too long). */
  async function renewHeld(): Promise<void> {
    const ids = [...grouping.held.keys(), ...inFlight.map((a) => a.id)]
    if (ids.length === 0) return
    const kept = await store.renewClaims(owner, ids, leaseMs)
    const lost = ids.filter((id) => !kept.has(id))
    if (lost.length > 0) {
      dropHeld(grouping, lost)
      log.warn({ lost: lost.length }, 'claims lost (lease ran out): another alerter sends them')
    }
  }

  // ---- send: due group -> slot -> message -> outcome -----------------------------------------

  const delivery: DeliveryContext = {
    store,
    notifier,
    owner,
    leaseMs,
    rate,
    retryPolicy,
    now,
    random,
    log,
    onDecision(decision, notification, attempt) {
      health = recordDelivery(health, decision, notification.anomalyIds.length, now())
      const fields = {
        rule: notification.rule,
        kind: notification.kind,
        anomalies: notification.anomalyIds.length,
        attempt,
      }
      switch (decision.action) {
        case 'delivered':
          recovered()
          log.debug(fields, 'notification delivered')
          return
        case 'pause':
        case 'retry':
          metrics?.errors.inc({ stage: 'alert', code: 'notify_failed' })
          problem(decision.reason, { ...fields, delayMs: decision.delayMs })
          return
        case 'park':
          // Slack's answer, counted (health) and logged every time: a person has to act on it
          metrics?.errors.inc({ stage: 'alert', code: 'notify_failed' })
          log.error(
            { ...fields, retryInMs: decision.delayMs, reason: decision.reason },
            `alerter: Slack ${decision.reason}`,
          )
          lastProblem = decision.reason
          return
      }
    },
  }

  async function sendLoop(signal: AbortSignal): Promise<void> {
    const policy = { intervalMs: groupIntervalMs, maxPerMessage }
    let failures = 0
    while (!signal.aborted) {
      const next = nextDueGroup(grouping, now(), policy)
      if ('idle' in next) {
        await sendWake.wait(pollIntervalMs, signal)
        continue
      }
      if ('wakeAtMs' in next) {
        await sendWake.wait(Math.max(0, next.wakeAtMs - now()), signal)
        continue
      }
      let carried: AlertAnomaly[] = []
      let group: { kind: NotificationKind; rule: string; openedAtMs: number } | undefined
      try {
        await waitForSendSlot(delivery, signal)
        if (signal.aborted) return
        // take the group as it is now: what arrived while we waited for the slot goes along
        const due = nextDueGroup(grouping, now(), policy)
        if (!('due' in due)) continue
        group = { kind: due.due.kind, rule: due.due.rule, openedAtMs: due.due.openedAtMs }
        const groupSize = due.due.anomalies.length
        const taken = takeFromGroup(grouping, due.due.key, maxPerMessage)
        const { notification, rest } = buildNotification(
          { kind: group.kind, rule: group.rule, anomalies: taken },
          {
            publicUrl,
            collectedOverMs: Math.max(0, now() - group.openedAtMs),
            listedMax,
            groupSize,
          },
        )
        returnToGroup(grouping, group, rest)
        if (!notification) continue
        carried = taken.slice(0, notification.anomalyIds.length)
        inFlight = carried
        const problems = validateSlackMessage(notification.message)
        if (problems.length > 0)
          log.error({ problems, rule: group.rule }, 'built a message beyond Slack limits')
        const sent = await deliverNotification(delivery, notification, signal)
        if (sent.result === 'delivered') {
          summary.messages += 1
          summary.notified += carried.length
          metrics?.eventsWritten.inc({ stage: 'alert', topic: 'slack' }, carried.length)
        } else if (sent.result === 'claims-lost') {
          log.warn(
            { lost: carried.length - sent.kept.size, rule: group.rule },
            'claims lost before sending: rebuilding',
          )
          returnToGroup(
            grouping,
            group,
            carried.filter((a) => sent.kept.has(a.id)),
          )
        }
        failures = 0
      } catch (error) {
        // the database failed us mid-way: what we hold goes back to its group, to be tried again
        if (group && carried.length > 0) returnToGroup(grouping, group, carried)
        storeFailed(error)
        failures += 1
        await pause(Math.min(1_000 * 2 ** failures, 30_000), signal)
      } finally {
        inFlight = []
      }
    }
  }

  return {
    async run(signal) {
      const inner = new AbortController()
      const stop = () => inner.abort()
      signal.addEventListener('abort', stop, { once: true })
      if (signal.aborted) stop()
      try {
        const unlisten = await retryWhileRetriable(() => store.onChange(() => claimWake.wake()), {
          signal: inner.signal,
          logger: log,
          what: 'listen for anomalies',
        })
        log.info(
          {
            owner,
            webhook: notifier.webhookConfigured,
            groupIntervalMs,
            leaseMs,
            silences: configSilences.length,
          },
          notifier.webhookConfigured
            ? 'alerter started'
            : 'alerter started: SLACK_WEBHOOK_URL unset, notifications are logged',
        )
        const loops = [claimLoop(inner.signal), sendLoop(inner.signal)].map((loop) =>
          loop.catch((error: unknown) => {
            inner.abort()
            throw error
          }),
        )
        try {
          await Promise.all(loops)
        } finally {
          await Promise.allSettled(loops)
          await unlisten().catch(() => {})
          // what we hold and did not send: claimable at once by the next alerter
          await store.releaseClaims(owner).catch((error: unknown) => {
            log.warn({ err: error }, 'could not release claims: they free up when their lease runs out')
          })
          log.info(summary, 'alerter stopped')
        }
      } finally {
        signal.removeEventListener('abort', stop)
      }
      return { ...summary }
    },
    health() {
      return { ...health, heldAnomalies: grouping.held.size + inFlight.length, owner }
    },
  }
}

/** A wait that a wake() ends early; wakes while nobody waits are remembered once. */
function createWaker() {
  let pending = false
  let resolveWait: (() => void) | undefined
  return {
    wake() {
      pending = true
      resolveWait?.()
    },
    async wait(ms: number, signal: AbortSignal): Promise<void> {
      if (pending || signal.aborted) {
        pending = false
        return
      }
      const controller = new AbortController()
      const onAbort = () => controller.abort()
      signal.addEventListener('abort', onAbort, { once: true })
      resolveWait = onAbort
      await pause(ms, controller.signal)
      signal.removeEventListener('abort', onAbort)
      resolveWait = undefined
      pending = false
    },
  }
}
