// Storage going away under a steady load: a private PostgreSQL stopped for 30 s (the etl waits
// and resumes), and a private S3 server stopped for 30 s (the lake sink waits and resumes).
// Pass: the final tables equal the manifest and the lake holds every offset exactly once.
// Both servers are private (their own port and state), so stopping them disturbs nobody.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../src/adapters/postgres/database.ts'
import { migrate } from '../../src/adapters/postgres/migrate.ts'
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/s3/s3-object-store.ts'
import { createTestBucket, ensureS3Server, stopS3Server } from '../../src/adapters/s3/s3-test-server.ts'
import { EVENT_TOPICS } from '../../src/contracts/topics.ts'
import { readTables, waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { countLakeOffsets } from '../../src/pipelines/lake-test-kit.ts'
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.ts'
import { deleteTopics } from '../support/processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
import {
  checkLake,
  checkTables,
  expectAlive,
  freshTopicNames,
  log,
  runScenario,
  scenarioDatabase,
  startEtl,
  startLakeSink,
  startLoad,
  stopAll,
  waitForLake,
  waitForTables,
} from './support/load-run.ts'

const sizes = faultsSizes()
const load = `${sizes.loadRatePerSecond.toLocaleString('en')} ev/s for ${sizes.loadDurationMs / 1000} s`

describe('PostgreSQL down for 30 s under load', () => {
  const names = freshTopicNames('pgdown')
  let postgres: PrivatePostgres

  beforeAll(async () => {
    postgres = await startPrivatePostgres()
    const setup = await createDatabase({ url: postgres.url })
    await migrate(setup)
    await setup.close()
  })
  afterAll(() => {
    deleteTopics(names)
    postgres?.destroy()
  })

  it('waits while PostgreSQL is down, resumes, and stores everything once', async () => {
    await runScenario(
      {
        scenario: 'PostgreSQL stopped',
        load,
        faults: `private PostgreSQL stopped (fast shutdown) for ${sizes.outageMs / 1000} s`,
      },
      async (outcome) => {
        const running = await startLoad(names, sizes.loadRatePerSecond, sizes.loadDurationMs, {
          seed: 2020,
          anomalyRatio: 0.01,
          malformedRatio: 0.01,
        })
        const etl = startEtl({ databaseUrl: postgres.url, topicPrefix: names.prefix })
        const db = await createDatabase({ url: postgres.url })
        try {
          await waitFor(async () => (await readTables(db)).rows > 0, 60_000, 'the first rows')
          await sleep(5_000)
          log('pgdown', 'stopping PostgreSQL')
          postgres.stop()
          await sleep(sizes.outageMs)
          expectAlive(etl, 'the etl during the outage')
          postgres.start()
          log('pgdown', 'PostgreSQL started again')
          const summary = await running.done
          outcome.events = summary.manifest.events
          await waitForTables(db, summary.manifest, 300_000, [etl])
          await stopAll([etl])
          expect(etl.child.exitCode).toBe(0)
          const tables = await checkTables(db, summary.manifest)
          outcome.lost = tables.lost
          outcome.duplicates = tables.duplicates
          outcome.notes = `${tables.anomalies} anomalies = manifest; achieved ${Math.round(summary.ratePerSecond)} ev/s`
        } finally {
          running.stop()
          await db.close()
        }
      },
    )
  })
})

describe('S3 server down for 30 s under load', () => {
  const names = freshTopicNames('s3down')
  const TOPICS = EVENT_TOPICS.map(names.full)
  const stateDir = mkdtempSync(join(tmpdir(), 'streamwatch-faults-s3-'))
  const s3Env = {
    ...process.env,
    S3_PORT: String(19_000 + Math.floor(Math.random() * 900)),
    S3_STATE_DIR: stateDir,
  }
  const database = scenarioDatabase(names)
  let lake: S3ObjectStoreOptions

  beforeAll(async () => {
    lake = await createTestBucket(ensureS3Server(s3Env), 'lake', { deleteAfter: false })
  })
  afterAll(async () => {
    try {
      stopS3Server(s3Env)
    } catch {
      // not running
    }
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('waits while the S3 server is down, resumes, and archives every offset once', async () => {
    await runScenario(
      {
        scenario: 'S3 server stopped',
        load,
        faults: `private S3 server (S3Proxy) stopped for ${sizes.outageMs / 1000} s, then started on the same data`,
      },
      async (outcome) => {
        const stack = { databaseUrl: database.options.url ?? '', topicPrefix: names.prefix, lake }
        const running = await startLoad(names, sizes.loadRatePerSecond, sizes.loadDurationMs, {
          seed: 3030,
          anomalyRatio: 0.01,
          malformedRatio: 0.01,
        })
        // the lake sink alone: the etl does not touch S3 (its tables are the other scenarios' subject)
        const sink = startLakeSink(stack)
        const store = createS3ObjectStore(lake)
        try {
          await waitFor(async () => (await countLakeOffsets(store, TOPICS)) > 0, 90_000, 'the first objects')
          log('s3down', 'stopping the S3 server')
          stopS3Server(s3Env)
          await sleep(sizes.outageMs)
          expectAlive(sink, 'the lake sink during the outage')
          execFileSync('bash', ['scripts/s3.sh', 'start'], { env: s3Env, stdio: 'ignore' })
          log('s3down', 'S3 server started again')
          const summary = await running.done
          const manifest = summary.manifest
          outcome.events = manifest.events
          await waitForLake(store, TOPICS, manifest.events, 300_000, [sink])
          await stopAll([sink])
          expect(sink.child.exitCode).toBe(0)
          const lakeFigures = await checkLake(store, TOPICS, manifest.events)
          outcome.lakeMissing = lakeFigures.missing
          outcome.duplicates = lakeFigures.duplicates
          outcome.notes = `lake only (the etl does not use S3); sink exited 0; achieved ${Math.round(summary.ratePerSecond)} ev/s`
        } finally {
          running.stop()
          await store.close()
        }
      },
    )
  })
})
