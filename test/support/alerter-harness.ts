// Runs an in-process alerter against a test database and a local Slack receiver, for the
// alerter's integration tests, and checks deliveries id by id.
import { expect } from 'vitest'
import { createAlertStore } from '../../src/adapters/postgres/alert-store.ts'
import type { Database } from '../../src/adapters/postgres/database.ts'
import { createSlackWebhook } from '../../src/adapters/slack/slack-webhook.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { type AlerterDeps, type AlerterSummary, createAlerter } from '../../src/pipelines/alert.ts'
import { maxInWindow, type ReceivedRequest, type SlackReceiver } from './slack-receiver.ts'

export interface RunningAlerter {
  alerter: ReturnType<typeof createAlerter>
  stop(): Promise<AlerterSummary>
}

export function startAlerter(
  db: Database,
  receiver: SlackReceiver,
  options: Partial<AlerterDeps> & { timeoutMs?: number } = {},
): RunningAlerter {
  const { timeoutMs = 2_000, ...deps } = options
  const alerter = createAlerter({
    store: createAlertStore(db),
    notifier: createSlackWebhook({ url: receiver.url, timeoutMs }),
    logger: silentLogger,
    publicUrl: 'http://dashboard.test',
    groupIntervalMs: 1_000,
    pollIntervalMs: 500,
    leaseMs: 2 * timeoutMs + 2_000,
    ...deps,
  })
  const controller = new AbortController()
  const running = alerter.run(controller.signal)
  return {
    alerter,
    async stop() {
      controller.abort()
      return running
    },
  }
}

/** How many delivered firing messages carry each id. */
export function firingCounts(requests: readonly ReceivedRequest[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of requests) {
    if (!r.delivered) continue
    for (const id of r.firingIds) counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** Each expected id in exactly one delivered firing message, and no other id. */
export function expectEachDeliveredOnce(requests: readonly ReceivedRequest[], ids: readonly string[]): void {
  const counts = firingCounts(requests)
  const twice = [...counts].filter(([, n]) => n > 1)
  expect(twice, 'ids delivered more than once').toEqual([])
  expect([...counts.keys()].sort()).toEqual([...ids].sort())
}

/** Slack's limit, measured at the receiver: at most `burst + W` messages in any W seconds. */
export function expectWithinRate(requests: readonly ReceivedRequest[], burst: number): void {
  for (const seconds of [1, 2, 5, 10]) {
    // 50 ms for the network and timers between the slot and the arrival
    expect(maxInWindow(requests, seconds * 1_000 - 50), `messages in ${seconds} s`).toBeLessThanOrEqual(
      burst + seconds,
    )
  }
}

/** Every message the receiver got was within Block Kit's limits. */
export function expectAllValid(requests: readonly ReceivedRequest[]): void {
  expect(requests.filter((r) => r.problems.length > 0).map((r) => r.problems)).toEqual([])
}

export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
