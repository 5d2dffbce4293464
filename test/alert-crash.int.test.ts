// `streamwatch alerter` as users run it, killed with SIGKILL during a burst and restarted: no
// anomaly is missing, and the only ones sent twice are those of the one message in flight at each
// kill (Slack had it, the dead process never marked it; its lease runs out and it goes again).
import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { expectAllValid, expectWithinRate, firingCounts, waitUntil } from './support/alerter-harness.ts'
import { anAnomalyRow, commitAnomalies, readOutbox } from './support/anomaly-rows.ts'
import { type SlackReceiver, startSlackReceiver } from './support/slack-receiver.ts'

const RULES = ['error_burst', 'high_cpu', 'high_latency', 'large_transaction'] as const
const ANSWER_DELAY_MS = 300

let t: TestDatabase
let receiver: SlackReceiver

beforeAll(async () => {
  t = await createTestDatabase('pg')
  await migrate(t.db)
})
afterAll(async () => {
  await receiver?.close()
  await t?.destroy()
})

function startAlerterProcess(): ChildProcess {
  return spawn(process.execPath, ['src/cli/main.ts', 'alerter'], {
    env: {
      ...process.env,
      CONFIG_FILE: '',
      DATABASE_URL: t.options.url,
      SLACK_WEBHOOK_URL: receiver.url,
      PUBLIC_URL: 'http://dashboard.test',
      ALERT_GROUP_INTERVAL: '300ms',
      ALERT_LEASE: '3s',
      ALERT_SILENCES: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('alerter process killed during a burst', () => {
  it('misses nothing and sends at most the message in flight at each kill twice', async () => {
    let child: ChildProcess | undefined
    /** the receiver's request count at each kill: the last request before it is the one in flight */
    const killedAfter: number[] = []
    let killAtRequest = 2
    receiver = await startSlackReceiver((request) => {
      if (request.index === killAtRequest && child) {
        // Slack has the message; the alerter dies before it hears back
        child.kill('SIGKILL')
        killedAfter.push(request.index + 1)
        killAtRequest = -1
      }
      return { status: 200, body: 'ok', delayMs: ANSWER_DELAY_MS }
    })

    child = startAlerterProcess()
    const rows = Array.from({ length: 800 }, (_, i) => anAnomalyRow({ rule: RULES[i % RULES.length]! }))
    const writing = (async () => {
      for (let i = 0; i < 16; i++) {
        await commitAnomalies(t.db, rows.slice(i * 50, (i + 1) * 50))
        await sleep(250)
      }
    })()

    // kill 1: at the arrival of the 3rd message, while it is in flight
    await waitUntil(() => killedAfter.length === 1, 60_000, 'the first kill')
    await exited(child)
    child = startAlerterProcess()
    // kill 2: at whatever moment, a little later
    await sleep(1_500 + Math.random() * 1_000)
    killedAfter.push(receiver.requests.length)
    child.kill('SIGKILL')
    await exited(child)
    child = startAlerterProcess()

    await writing
    await waitUntil(
      async () => (await readOutbox(t.db)).every((r) => r.notified),
      120_000,
      'every anomaly notified',
    )
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)

    const counts = firingCounts(receiver.requests)
    expect([...counts.keys()].sort(), 'every anomaly delivered').toEqual(rows.map((r) => r.id).sort())
    const inFlight = new Set(killedAfter.flatMap((n) => (n > 0 ? receiver.requests[n - 1]!.firingIds : [])))
    const twice = [...counts].filter(([, n]) => n > 1)
    expect(
      twice.filter(([, n]) => n > 2),
      'sent more than twice',
    ).toEqual([])
    expect(
      twice.filter(([id]) => !inFlight.has(id)),
      'sent twice though not in flight at a kill',
    ).toEqual([])
    // the first kill certainly hit a message in flight: it was sent again
    expect(receiver.requests[killedAfter[0]! - 1]!.firingIds.every((id) => counts.get(id) === 2)).toBe(true)
    expectAllValid(receiver.requests)
    expectWithinRate(receiver.requests, 3)
    expect((await readOutbox(t.db)).filter((r) => r.claimedBy !== null)).toEqual([])
    process.stderr.write(
      `[alert-crash] ${rows.length} anomalies, ${receiver.requests.length} messages, ${twice.length} ids sent twice (in flight at a kill)\n`,
    )
  })
})
