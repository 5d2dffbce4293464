// The alerter on embedded PGlite: what the messages say (the resolved one names the firing one;
// an event's hostile text shows as text), silences from the config and the database, and the
// log-only mode without a webhook.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAlertStore } from '../src/adapters/postgres/alert-store.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { createLogNotifier } from '../src/adapters/slack/log-notifier.ts'
import { silentLogger } from '../src/observability/logger.ts'
import { createAlerter } from '../src/pipelines/alert.ts'
import {
  expectAllValid,
  expectEachDeliveredOnce,
  startAlerter,
  waitUntil,
} from './support/alerter-harness.ts'
import { anAnomalyRow, commitAnomalies, readOutbox } from './support/anomaly-rows.ts'
import { type SlackReceiver, startSlackReceiver } from './support/slack-receiver.ts'

const EVIL = '<!channel> <https://evil|click>'

let t: TestDatabase
let receiver: SlackReceiver

// one PGlite for the file (opening one takes seconds), emptied before each test
beforeAll(async () => {
  t = await createTestDatabase('pglite')
  await migrate(t.db)
})
afterAll(async () => {
  await t?.destroy()
})
beforeEach(async () => {
  await t.db.exec('TRUNCATE anomalies, silences, notification_gates')
  receiver = await startSlackReceiver()
})
afterEach(async () => {
  await receiver?.close()
})

describe('alerter messages on PGlite', () => {
  it('shows an event whose text is "<!channel> <https://evil|click>" as text', async () => {
    const running = startAlerter(t.db, receiver, { groupIntervalMs: 200 })
    try {
      const row = anAnomalyRow({ rule: 'error_burst', key: EVIL, details: { message: EVIL } })
      await commitAnomalies(t.db, [row])
      await receiver.waitForDelivered(1, 10_000)
      const message = receiver.requests[0]!.message!
      const all = JSON.stringify(message)
      expect(all).not.toContain('<!channel>')
      expect(all).not.toContain('<https://evil')
      expect(all).toContain('&lt;!channel&gt; &lt;https://evil|click&gt;')
      // the only link is ours, to the anomaly in the dashboard, labelled with the escaped key
      expect(all).toContain(
        `<http://dashboard.test/anomalies/${row.id}|&lt;!channel&gt; &lt;https://evil|click&gt;>`,
      )
      expect(message.text).toContain('&lt;!channel&gt;')
      expectAllValid(receiver.requests)
    } finally {
      await running.stop()
    }
  })

  it('sends a resolved message that names the firing one', async () => {
    const running = startAlerter(t.db, receiver, { groupIntervalMs: 200 })
    try {
      const row = anAnomalyRow({
        rule: 'high_cpu',
        key: 'checkout',
        value: 97,
        threshold: 85,
        severity: 'warning',
      })
      await commitAnomalies(t.db, [row])
      await receiver.waitForDelivered(1, 10_000)
      await commitAnomalies(t.db, [{ ...row, status: 'resolved', resolvedAtMs: Date.now() }])
      await receiver.waitForDelivered(2, 10_000)
      const [firing, resolved] = receiver.requests
      expect(firing!.firingIds).toEqual([row.id])
      expect(resolved!.firingIds).toEqual([])
      expect(resolved!.resolvedIds).toEqual([row.id])
      const text = JSON.stringify(resolved!.message)
      expect(text).toContain('✅ high_cpu: 1 resolved')
      expect(text).toMatch(new RegExp(`fired [^,]+, notified [^"]+ as anomaly ${row.id}`))
      await waitUntil(async () => (await readOutbox(t.db))[0]!.resolvedNotified, 5_000, 'resolution marked')
    } finally {
      await running.stop()
    }
  })

  it('announces an anomaly that resolved before it was sent once, saying so', async () => {
    const running = startAlerter(t.db, receiver, { groupIntervalMs: 200 })
    try {
      const row = anAnomalyRow({ status: 'resolved', resolvedAtMs: Date.now() })
      await commitAnomalies(t.db, [row])
      await waitUntil(async () => (await readOutbox(t.db))[0]!.resolvedNotified, 10_000, 'both marked')
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect(receiver.requests).toHaveLength(1)
      expect(JSON.stringify(receiver.requests[0]!.message)).toContain('*resolved*')
    } finally {
      await running.stop()
    }
  })

  it('mutes silenced anomalies (config and database), marks them, and sends the rest', async () => {
    await t.db.query(
      `INSERT INTO silences (id, rule, key, expires_at, comment, created_by) VALUES
       ('db-1', NULL, 'noisy-service', now() + interval '1 hour', 'known issue', 'ops'),
       ('db-expired', 'high_latency', NULL, now() - interval '1 minute', 'over', 'ops')`,
    )
    const running = startAlerter(t.db, receiver, {
      groupIntervalMs: 200,
      silences: [
        {
          id: 'config:high_cpu/*',
          rule: 'high_cpu',
          key: null,
          expiresAtMs: Date.now() + 3_600_000,
          comment: 'load test',
          createdBy: 'config',
        },
      ],
    })
    try {
      const cpu = anAnomalyRow({ rule: 'high_cpu', key: 'svc-a' })
      const noisy = anAnomalyRow({ rule: 'error_burst', key: 'noisy-service' })
      const latency = anAnomalyRow({ rule: 'high_latency', key: 'svc-b' })
      const tx = anAnomalyRow({ rule: 'large_transaction' })
      await commitAnomalies(t.db, [cpu, noisy, latency, tx])
      await waitUntil(
        async () => (await readOutbox(t.db)).every((r) => r.notified || r.silencedBy !== null),
        10_000,
        'all notified or silenced',
      )
      const byId = new Map((await readOutbox(t.db)).map((r) => [r.id, r]))
      expect(byId.get(cpu.id)).toMatchObject({ silencedBy: 'config:high_cpu/*', notified: false })
      expect(byId.get(noisy.id)).toMatchObject({ silencedBy: 'db-1', notified: false })
      // a silenced anomaly's resolution is not sent either
      await commitAnomalies(t.db, [{ ...cpu, status: 'resolved', resolvedAtMs: Date.now() }])
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      const summary = await running.stop()
      expectEachDeliveredOnce(receiver.requests, [latency.id, tx.id])
      expect(receiver.requests.every((r) => r.resolvedIds.length === 0)).toBe(true)
      expect(summary.silenced).toBe(2)
      expect(running.alerter.health().anomaliesSilenced).toBe(2)
    } finally {
      await running.stop()
    }
  })

  it('without a webhook, logs each notification and marks the anomalies notified', async () => {
    const lines: Array<Record<string, unknown>> = []
    const logger = silentLogger.child({})
    const captured = new Proxy(logger, {
      get(target, name) {
        if (name === 'info') return (fields: Record<string, unknown>) => lines.push(fields)
        if (name === 'child') return () => captured
        return Reflect.get(target, name)
      },
    })
    const alerter = createAlerter({
      store: createAlertStore(t.db),
      notifier: createLogNotifier(captured),
      logger: silentLogger,
      publicUrl: 'http://dashboard.test',
      groupIntervalMs: 200,
    })
    const controller = new AbortController()
    const running = alerter.run(controller.signal)
    try {
      const rows = [anAnomalyRow(), anAnomalyRow()]
      await commitAnomalies(t.db, rows)
      await waitUntil(
        async () => (await readOutbox(t.db)).every((r) => r.notified),
        10_000,
        'marked notified',
      )
      const logged = lines.filter((l) => Array.isArray(l['anomalyIds']))
      expect(logged.flatMap((l) => l['anomalyIds'] as string[]).sort()).toEqual(rows.map((r) => r.id).sort())
      expect(alerter.health()).toMatchObject({ webhookConfigured: false, anomaliesNotified: 2, status: 'ok' })
    } finally {
      controller.abort()
      await running
    }
  })
})
