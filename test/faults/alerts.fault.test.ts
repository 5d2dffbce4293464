// Under a steady load, the etl, the alerter and the API run as child processes; the alerter posts
// to a local receiver in place of Slack. Meanwhile the alerter and the API are killed with SIGKILL
// at random moments and started again at once, and the receiver goes through phases: down
// (connection refused), slow (answers held back), 429 with Retry-After, and 500.
// Pass: the final tables equal the generator's manifest; the outbox drains; every anomaly is in
// exactly one accepted firing message, an id arriving twice only when a message holding it was in
// flight at a kill (or accepted after its client had gone: docs/alerting.md's exception); and the
// API answers after every restart, with no 5xx while it runs.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { type CommandProcess, stopCommand } from '../support/processes.ts'
import { type AlerterSettings, startAlerter, startApi } from './support/alerter-api-processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
import { type FaultyReceiver, type ReceiverMode, startFaultyReceiver } from './support/faulty-receiver.ts'
import {
  checkTables,
  freshTopicNames,
  log,
  randomBetween,
  runScenario,
  type StackEnv,
  scenarioDatabase,
  startEtl,
  startLoad,
  waitForTables,
} from './support/load-run.ts'
import { checkNotifiedOnce, countUnnotified, waitForOutboxDrained } from './support/notification-check.ts'

const sizes = faultsSizes()
// three more processes than the other scenarios on two shared cores: a lighter load when bounded
const RATE_PER_SECOND = sizes.mode === 'full' ? sizes.loadRatePerSecond : 1_500
const DURATION_MS = sizes.mode === 'full' ? sizes.loadDurationMs : 50_000
/** a 13 s lease gives a 6 s request timeout: the slow phase's answers come well inside it */
const LEASE_MS = 13_000
const SLOW_ANSWER_MS = 2_500
/** the receiver's phases, repeated while the load runs */
const PHASES: ReadonlyArray<{ mode: ReceiverMode; ms: number }> = [
  { mode: { kind: 'ok' }, ms: 4_000 },
  { mode: { kind: 'down' }, ms: 8_000 },
  { mode: { kind: 'ok' }, ms: 4_000 },
  { mode: { kind: 'slow', delayMs: SLOW_ANSWER_MS }, ms: 8_000 },
  { mode: { kind: 'ok' }, ms: 3_000 },
  { mode: { kind: 'rate-limited', retryAfterSeconds: 2 }, ms: 7_000 },
  { mode: { kind: 'ok' }, ms: 3_000 },
  { mode: { kind: 'failing', status: 500 }, ms: 7_000 },
]
const API_ROUTES = ['/api/anomalies?limit=5', '/api/stats', '/healthz']
const API_PORT = 19_000 + Math.floor(Math.random() * 800)

const names = freshTopicNames('alerts')
const database = scenarioDatabase(names)
let receiver: FaultyReceiver | undefined

afterAll(async () => {
  await receiver?.close()
})

/** GETs the routes until stopped: every answer is counted; a refused connection (a restart) is not an answer. */
function pollApi(isOver: () => boolean) {
  const statuses = new Map<number, number>()
  const done = (async () => {
    while (!isOver()) {
      for (const route of API_ROUTES) {
        const answer = await fetch(`http://127.0.0.1:${API_PORT}${route}`, {
          signal: AbortSignal.timeout(15_000),
        }).catch(() => undefined)
        if (!answer) continue
        await answer.arrayBuffer()
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      }
      await sleep(1_000)
    }
  })()
  return { statuses, done }
}

async function expectApiAnswers(): Promise<void> {
  await waitFor(
    async () => {
      for (const route of API_ROUTES) {
        const answer = await fetch(`http://127.0.0.1:${API_PORT}${route}`).catch(() => undefined)
        if (answer?.status !== 200) return false
        await answer.json()
      }
      return true
    },
    60_000,
    'the restarted API to answer every route',
  )
}

describe('alerter and API killed, Slack receiver faulty', () => {
  it('notifies every anomaly once (but the message in flight at a kill) and loses nothing', async () => {
    const load = `${RATE_PER_SECOND.toLocaleString('en')} ev/s for ${DURATION_MS / 1000} s`
    const kills = { alerter: 0, api: 0 }
    const killsAtMs: number[] = []
    const phaseMs = new Map<string, number>()
    let procs: { etl: CommandProcess; alerter: CommandProcess; api: CommandProcess } | undefined
    const describeFaults = () =>
      `kill -9: alerter x${kills.alerter}, API x${kills.api}, each restarted at once; Slack receiver: ` +
      PHASES.filter((p) => p.mode.kind !== 'ok')
        .map((p) => `${p.mode.kind} ${Math.round((phaseMs.get(p.mode.kind) ?? 0) / 1000)} s`)
        .join(', ') +
      ` (slow: ${SLOW_ANSWER_MS / 1000} s answers; 429: Retry-After 2; failing: 500)`
    await runScenario(
      { scenario: 'alerter and API killed, Slack faulty', load, faults: 'pending' },
      async (outcome) => {
        const faulty = await startFaultyReceiver()
        receiver = faulty
        const stack: StackEnv = { databaseUrl: database.options.url ?? '', topicPrefix: names.prefix }
        const alerting: AlerterSettings = {
          webhookUrl: faulty.url,
          leaseMs: LEASE_MS,
          groupIntervalMs: 1_000,
        }
        const alerters: CommandProcess[] = []
        const launchAlerter = () => {
          const alerter = startAlerter(stack, alerting)
          alerters.push(alerter)
          return alerter
        }
        const running = await startLoad(names, RATE_PER_SECOND, DURATION_MS, {
          seed: 1212,
          anomalyRatio: 0.01,
          malformedRatio: 0.01,
        })
        const live = {
          etl: startEtl(stack),
          alerter: launchAlerter(),
          api: await startApi(stack, { port: API_PORT }),
        }
        procs = live
        let loadOver = false
        running.done.finally(() => {
          loadOver = true
        })
        const poller = pollApi(() => loadOver)

        const receiverPhases = (async () => {
          while (!loadOver) {
            for (const phase of PHASES) {
              if (loadOver) break
              await faulty.setMode(phase.mode)
              log('alerts', `receiver: ${phase.mode.kind}`)
              await sleep(phase.ms)
              phaseMs.set(phase.mode.kind, (phaseMs.get(phase.mode.kind) ?? 0) + phase.ms)
              outcome.faults = describeFaults()
            }
          }
          await faulty.setMode({ kind: 'ok' })
        })()
        const alerterKills = (async () => {
          while (!loadOver) {
            await sleep(randomBetween(5_000, 10_000))
            if (loadOver) break
            killsAtMs.push(Date.now())
            await stopCommand(live.alerter, 'SIGKILL')
            kills.alerter += 1
            log('alerts', `kill -9 alerter (#${kills.alerter}), receiver ${faulty.mode()}`)
            live.alerter = launchAlerter()
            outcome.faults = describeFaults()
          }
        })()
        const apiKills = (async () => {
          while (!loadOver) {
            await sleep(randomBetween(8_000, 15_000))
            if (loadOver) break
            await stopCommand(live.api, 'SIGKILL')
            kills.api += 1
            log('alerts', `kill -9 API (#${kills.api})`)
            live.api = await startApi(stack, { port: API_PORT })
            await expectApiAnswers()
            outcome.faults = describeFaults()
          }
        })()

        const summary = await running.done
        await Promise.all([receiverPhases, alerterKills, apiKills, poller.done])
        const manifest = summary.manifest
        outcome.events = manifest.events
        outcome.faults = describeFaults()
        log('alerts', `load sent ${summary.sent} at ${Math.round(summary.ratePerSecond)} ev/s; draining`)

        await waitForTables(database.db, manifest, 300_000, [live.etl, live.alerter, live.api])
        const alive = () => [live.etl, live.alerter, live.api]
        await waitForOutboxDrained(database.db, 240_000, alive)
        expect(await stopCommand(live.etl, 'SIGTERM'), 'the etl stops cleanly').toBe(0)
        // the etl's last commit may have resolved an anomaly: its resolution goes out too
        await waitForOutboxDrained(database.db, 120_000, () => [live.alerter, live.api])
        expect(await stopCommand(live.alerter, 'SIGTERM'), 'the alerter stops cleanly').toBe(0)
        await expectApiAnswers()
        expect(await stopCommand(live.api, 'SIGTERM'), 'the API stops cleanly').toBe(0)

        const tables = await checkTables(database.db, manifest)
        outcome.lost = tables.lost
        outcome.duplicates = tables.duplicates
        const { rows: anomalies } = await database.db.query<{ id: string; status: string }>(
          'SELECT id::text, status FROM anomalies',
        )
        const { rows: claimed } = await database.db.query<{ n: string }>(
          'SELECT count(*) AS n FROM anomalies WHERE notify_claimed_by IS NOT NULL OR silenced_by IS NOT NULL',
        )
        expect(await countUnnotified(database.db)).toBe(0)
        expect(Number(claimed[0]!.n), 'claims left or anomalies silenced').toBe(0)
        const notes = checkNotifiedOnce(faulty.requests, anomalies, killsAtMs)
        const serverErrors = [...poller.statuses].filter(([status]) => status >= 500)
        const answered = [...poller.statuses.values()].reduce((a, b) => a + b, 0)
        expect(serverErrors, 'API answers 5xx').toEqual([])
        expect(answered).toBeGreaterThan(0)
        const met = (status: number) => faulty.requests.filter((r) => r.status === status).length
        // a refused connection never reaches the receiver: the alerters' logs tell (once per change)
        const refused = alerters
          .flatMap((p) => p.stderr().split('\n'))
          .filter((line) => line.includes('"reason":"network error ECONNREFUSED')).length
        const slow = faulty.requests.filter((r) => r.mode === 'slow').length
        outcome.notes =
          `${tables.anomalies} anomalies = manifest, each in an accepted message: ${notes.delivered} messages ` +
          `accepted of ${notes.attempts} attempts; ${notes.repeatedIds} ids sent twice, each explained by a ` +
          `message in flight at a kill (${notes.inFlightAtKill} such) or accepted after its client left ` +
          `(${notes.abandoned}); ` +
          `the alerter met: refused connections (${refused} logged), ${met(429)} 429s, ${met(500)} 500s, ` +
          `${slow} slow answers; API answered ${answered} polls, no 5xx, and every route after each restart; ` +
          `achieved ${Math.round(summary.ratePerSecond)} ev/s`
      },
    ).finally(async () => {
      log('alerts', `alerter killed ${kills.alerter}x, API killed ${kills.api}x`)
      // after a failure: nothing left running into the next scenario
      if (procs) await Promise.all(Object.values(procs).map((p) => stopCommand(p, 'SIGKILL')))
    })
  })
})
