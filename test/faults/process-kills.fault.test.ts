// Under a steady load, the etl and the lake sink are killed with SIGKILL at random moments and
// started again. Pass: the final PostgreSQL tables equal the generator's manifest (rows, dead
// letters, anomalies) and the lake holds every offset of the event topics exactly once.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/s3/s3-object-store.ts'
import { createTestBucket, deleteTestBuckets, ensureS3Server } from '../../src/adapters/s3/s3-test-server.ts'
import { EVENT_TOPICS } from '../../src/contracts/topics.ts'
import { type CommandProcess, stopCommand } from '../support/processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
import {
  checkLake,
  checkTables,
  freshTopicNames,
  log,
  randomBetween,
  runScenario,
  type StackEnv,
  scenarioDatabase,
  startEtl,
  startLakeSink,
  startLoad,
  stopAll,
  waitForLake,
  waitForTables,
} from './support/load-run.ts'

const sizes = faultsSizes()
const names = freshTopicNames('kills')
const TOPICS = EVENT_TOPICS.map(names.full)
const database = scenarioDatabase(names)
let lake: S3ObjectStoreOptions

beforeAll(async () => {
  lake = await createTestBucket(ensureS3Server())
})

afterAll(async () => {
  await deleteTestBuckets()
})

describe('kill -9 under load', () => {
  it('loses and doubles nothing when the etl and the lake sink are killed at random moments', async () => {
    const load = `${sizes.loadRatePerSecond.toLocaleString('en')} ev/s for ${sizes.loadDurationMs / 1000} s`
    let kills = { etl: 0, lake: 0 }
    await runScenario({ scenario: 'kill -9 etl and lake sink', load, faults: 'pending' }, async (outcome) => {
      const stack: StackEnv = { databaseUrl: database.options.url ?? '', topicPrefix: names.prefix, lake }
      const running = await startLoad(names, sizes.loadRatePerSecond, sizes.loadDurationMs, {
        seed: 1010,
        anomalyRatio: 0.01,
        malformedRatio: 0.01,
      })
      const procs: { etl: CommandProcess; lake: CommandProcess } = {
        etl: startEtl(stack),
        lake: startLakeSink(stack),
      }
      // a chaos loop: every few seconds one of the two is killed and started again at once
      let loadOver = false
      running.done.finally(() => {
        loadOver = true
      })
      while (!loadOver) {
        await sleep(randomBetween(4_000, 9_000))
        if (loadOver) break
        const victim = Math.random() < 0.5 ? 'etl' : 'lake'
        await stopCommand(procs[victim], 'SIGKILL')
        kills = { ...kills, [victim]: kills[victim] + 1 }
        outcome.faults = `kill -9: etl x${kills.etl}, lake sink x${kills.lake}, each restarted at once`
        log('kills', `kill -9 ${victim} (${kills.etl} etl, ${kills.lake} lake so far)`)
        procs[victim] = victim === 'etl' ? startEtl(stack) : startLakeSink(stack)
      }
      const summary = await running.done
      const manifest = summary.manifest
      outcome.events = manifest.events
      log('kills', `load sent ${summary.sent} at ${Math.round(summary.ratePerSecond)} ev/s; draining`)
      await waitForTables(database.db, manifest, 300_000, [procs.etl])
      const store = createS3ObjectStore(lake)
      try {
        await waitForLake(store, TOPICS, manifest.events, 300_000, [procs.lake])
        await stopAll([procs.etl, procs.lake])
        const tables = await checkTables(database.db, manifest)
        outcome.lost = tables.lost
        outcome.notes = `${tables.anomalies} anomalies found = manifest; achieved ${Math.round(summary.ratePerSecond)} ev/s`
        const lakeFigures = await checkLake(store, TOPICS, manifest.events)
        outcome.lakeMissing = lakeFigures.missing
        outcome.duplicates = tables.duplicates + lakeFigures.duplicates
      } finally {
        await store.close()
      }
    }).finally(() => {
      // the faults injected, whatever the outcome
      log('kills', `etl killed ${kills.etl}x, lake sink killed ${kills.lake}x`)
    })
  })
})
