// A rebalance storm: etl processes join and leave the group every 2-4 s (a graceful stop or a
// kill -9) while a paced load carries error bursts (21+ ERROR logs within 60 s, spread over 4-10 s
// of event time = wall time, so each burst's partition changes owner in the middle of it).
// Pass: the final tables equal the manifest: each burst detected exactly once, nothing lost.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { type CommandProcess, stopCommand } from '../support/processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
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
  stopAll,
  waitForTables,
} from './support/load-run.ts'

const sizes = faultsSizes()
const names = freshTopicNames('storm')
const RATE_PER_SECOND = 1_000
const MAX_PROCESSES = 3
const database = scenarioDatabase(names)

describe('rebalance storm', () => {
  it('detects every error burst exactly once while etl processes join and leave', async () => {
    await runScenario(
      {
        scenario: 'rebalance storm',
        load: `${RATE_PER_SECOND.toLocaleString('en')} ev/s for ${sizes.stormDurationMs / 1000} s`,
        faults: 'pending',
      },
      async (outcome) => {
        const stack: StackEnv = { databaseUrl: database.options.url ?? '', topicPrefix: names.prefix }
        const running = await startLoad(names, RATE_PER_SECOND, sizes.stormDurationMs, {
          seed: 4040,
          anomalyRatio: 0.02,
          malformedRatio: 0.01,
        })
        let loadOver = false
        running.done.finally(() => {
          loadOver = true
        })
        const members: CommandProcess[] = [startEtl(stack)]
        const churn = { joined: 1, left: 0, killed: 0 }
        while (!loadOver) {
          await sleep(randomBetween(2_000, 4_000))
          const join = members.length === 1 || (members.length < MAX_PROCESSES && Math.random() < 0.5)
          if (join) {
            members.push(startEtl(stack))
            churn.joined++
          } else {
            const leaving = members.splice(Math.floor(Math.random() * members.length), 1)[0]!
            const hard = Math.random() < 0.3
            await stopCommand(leaving, hard ? 'SIGKILL' : 'SIGTERM')
            if (hard) churn.killed++
            else churn.left++
          }
          outcome.faults = `${churn.joined} joins, ${churn.left} graceful leaves, ${churn.killed} kill -9 (1-3 members)`
        }
        log('storm', outcome.faults)
        const manifest = (await running.done).manifest
        outcome.events = manifest.events
        const bursts = manifest.anomaliesByRule.error_burst
        log(
          'storm',
          `${manifest.events} events, ${bursts} error bursts, ${manifest.anomalies.length} anomalies`,
        )
        expect(bursts).toBeGreaterThanOrEqual(1)
        await waitForTables(database.db, manifest, 300_000)
        await stopAll(members)
        const tables = await checkTables(database.db, manifest)
        outcome.lost = tables.lost
        outcome.duplicates = tables.duplicates
        outcome.notes = `${bursts} error bursts and ${manifest.anomalies.length - bursts} other anomalies, each detected exactly once`
      },
    )
  })
})
