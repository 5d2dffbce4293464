// The alerter on real PostgreSQL, posting to a local HTTP server in place of Slack: every anomaly
// in exactly one delivered firing message, bursts as digests, Slack's rate limit kept, 429/5xx/
// timeouts retried no sooner than allowed, refusals surfaced and retried slowly, and two alerters
// sharing the work without sending anything twice.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase } from '../src/adapters/postgres/database.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import {
  expectAllValid,
  expectEachDeliveredOnce,
  expectWithinRate,
  firingCounts,
  startAlerter,
  waitUntil,
} from './support/alerter-harness.ts'
import { anAnomalyRow, commitAnomalies, readOutbox } from './support/anomaly-rows.ts'
import { type SlackReceiver, startSlackReceiver } from './support/slack-receiver.ts'

const RULES = ['error_burst', 'high_cpu', 'high_latency', 'large_transaction'] as const
const BURST = 3

let t: TestDatabase
let receiver: SlackReceiver

beforeEach(async () => {
  t = await createTestDatabase('pg')
  await migrate(t.db)
  receiver = await startSlackReceiver()
})
afterEach(async () => {
  await receiver?.close()
  await t?.destroy()
})

async function allNotified(count: number): Promise<boolean> {
  const outbox = await readOutbox(t.db)
  return outbox.length === count && outbox.every((r) => r.notified)
}

describe('alerter delivery', () => {
  it('delivers 1,000 anomalies each in exactly one message: bursts as digests, within the rate limit', async () => {
    const running = startAlerter(t.db, receiver)
    try {
      // a burst of 500 large transactions within a second, committed as the etl would (10 batches)
      const burst = Array.from({ length: 500 }, () => anAnomalyRow({ rule: 'large_transaction' }))
      for (let i = 0; i < 10; i++) {
        await commitAnomalies(t.db, burst.slice(i * 50, (i + 1) * 50))
        await sleep(100)
      }
      // then 500 more of every rule over five seconds
      const spread = Array.from({ length: 500 }, (_, i) => anAnomalyRow({ rule: RULES[i % RULES.length]! }))
      for (let i = 0; i < 20; i++) {
        await commitAnomalies(t.db, spread.slice(i * 25, (i + 1) * 25))
        await sleep(250)
      }
      await waitUntil(() => allNotified(1_000), 90_000, 'every anomaly notified')
      const summary = await running.stop()

      const all = [...burst, ...spread].map((a) => a.id)
      expectEachDeliveredOnce(receiver.requests, all)
      expectAllValid(receiver.requests)
      expectWithinRate(receiver.requests, BURST)
      expect(receiver.requests.every((r) => r.delivered)).toBe(true)
      const burstIds = new Set(burst.map((a) => a.id))
      const burstMessages = receiver.requests.filter((r) => r.firingIds.some((id) => burstIds.has(id)))
      expect(burstMessages.length).toBeGreaterThanOrEqual(3) // at most 200 anomalies a message
      expect(burstMessages.length).toBeLessThanOrEqual(5)
      // digests per rule: no message mixes rules
      for (const r of receiver.requests) expect(r.message?.blocks[0]?.type).toBe('header')
      expect(receiver.requests.length).toBeLessThan(40)
      expect(summary).toMatchObject({ claimed: 1_000, notified: 1_000, silenced: 0 })
      expect(running.alerter.health()).toMatchObject({
        status: 'ok',
        messagesDelivered: receiver.requests.length,
      })
      const outbox = await readOutbox(t.db)
      expect(outbox.filter((r) => r.claimedBy !== null)).toEqual([])
      process.stderr.write(
        `[alert-delivery] 1,000 anomalies in ${receiver.requests.length} messages, the burst of 500 in ${burstMessages.length}\n`,
      )
    } finally {
      await running.stop()
    }
  })

  it('rides out a 429, server errors and a hang, sending every anomaly once and no sooner than allowed', async () => {
    const script = [
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } },
      { status: 500, body: 'internal_error' },
      { status: 503, body: 'service_unavailable' },
      { hang: true as const },
    ]
    receiver.respondWith((r) => script[r.index] ?? { status: 200, body: 'ok' })
    const timeoutMs = 1_000
    const running = startAlerter(t.db, receiver, {
      timeoutMs,
      retry: { initialDelayMs: 400, maxDelayMs: 5_000 },
    })
    try {
      const rows = Array.from({ length: 60 }, (_, i) => anAnomalyRow({ rule: RULES[i % 2]! }))
      await commitAnomalies(t.db, rows)
      await waitUntil(() => allNotified(rows.length), 60_000, 'every anomaly notified')
      await running.stop()

      expectEachDeliveredOnce(
        receiver.requests,
        rows.map((r) => r.id),
      )
      const at = receiver.requests.map((r) => r.atMs)
      // the same message each time until it went through
      const first = receiver.requests[0]!.firingIds
      for (const r of receiver.requests.slice(0, 5)) expect(r.firingIds).toEqual(first)
      expect(at[1]! - at[0]!, 'after the 429: its Retry-After').toBeGreaterThanOrEqual(2_000 - 5)
      expect(at[2]! - at[1]!, 'after the 1st 500: half the initial backoff at least').toBeGreaterThanOrEqual(
        200,
      )
      expect(at[3]! - at[2]!, 'after the 2nd 5xx: doubled').toBeGreaterThanOrEqual(400)
      expect(at[4]! - at[3]!, 'after the hang: the timeout and a backoff').toBeGreaterThanOrEqual(
        timeoutMs + 800,
      )
      expect(receiver.requests[4]!.delivered).toBe(true)
      expectWithinRate(receiver.requests, BURST)
      expect(running.alerter.health()).toMatchObject({ status: 'ok', rateLimited: 1, retried: 3, refused: 0 })
    } finally {
      await running.stop()
    }
  })

  it("logs, counts and surfaces Slack's refusal, keeps the anomalies pending, retries slowly", async () => {
    let refusing = true
    receiver.respondWith(() =>
      refusing ? { status: 403, body: 'invalid_token' } : { status: 200, body: 'ok' },
    )
    const parkMs = 2_000
    const running = startAlerter(t.db, receiver, { retry: { parkMs } })
    try {
      const rows = Array.from({ length: 5 }, () => anAnomalyRow())
      await commitAnomalies(t.db, rows)
      await waitUntil(() => receiver.requests.length >= 1, 10_000, 'a first attempt')
      await waitUntil(
        async () => (await readOutbox(t.db)).every((r) => r.error !== null),
        5_000,
        'the refusal recorded',
      )
      expect(running.alerter.health()).toMatchObject({
        status: 'failing',
        refused: 1,
        lastFailure: { action: 'park', reason: 'refused: 403 invalid_token' },
      })
      const outbox = await readOutbox(t.db)
      expect(
        outbox.every((r) => !r.notified && r.claimedBy === null && r.error === 'refused: 403 invalid_token'),
      ).toBe(true)
      await sleep(parkMs / 2)
      expect(receiver.requests).toHaveLength(1) // set aside: not hammered
      refusing = false
      await waitUntil(() => allNotified(rows.length), 20_000, 'every anomaly notified')
      await running.stop()
      expect(receiver.requests.length).toBeGreaterThanOrEqual(2)
      expect(receiver.requests[1]!.atMs - receiver.requests[0]!.atMs).toBeGreaterThanOrEqual(parkMs)
      expectEachDeliveredOnce(
        receiver.requests,
        rows.map((r) => r.id),
      )
      expect(running.alerter.health()).toMatchObject({ status: 'ok', refused: receiver.requests.length - 1 })
      expect((await readOutbox(t.db)).every((r) => r.error === null)).toBe(true)
    } finally {
      await running.stop()
    }
  })

  it('shares the work between two alerters without sending anything twice, and shares the rate limit', async () => {
    const second = await createDatabase(t.options)
    const a = startAlerter(t.db, receiver, { owner: 'alerter-a' })
    const b = startAlerter(second, receiver, { owner: 'alerter-b' })
    try {
      const rows = Array.from({ length: 600 }, (_, i) => anAnomalyRow({ rule: RULES[i % RULES.length]! }))
      for (let i = 0; i < 12; i++) {
        await commitAnomalies(t.db, rows.slice(i * 50, (i + 1) * 50))
        await sleep(200)
      }
      await waitUntil(() => allNotified(rows.length), 90_000, 'every anomaly notified')
      const [sa, sb] = await Promise.all([a.stop(), b.stop()])
      expectEachDeliveredOnce(
        receiver.requests,
        rows.map((r) => r.id),
      )
      expectWithinRate(receiver.requests, BURST)
      expect(sa.notified + sb.notified).toBe(600)
      expect(firingCounts(receiver.requests).size).toBe(600)
      process.stderr.write(`[alert-delivery] two alerters: ${sa.messages} + ${sb.messages} messages\n`)
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await second.close()
    }
  })
})
