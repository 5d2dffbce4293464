// The broker stopped and started again under a steady load. The broker is a private one (its own
// ports and state dir, scripts/kafka.sh), so the shared broker on 9092 is never touched.
// Pass: the etl and the lake sink ride it out on their own (no restart by us), the final tables
// equal the manifest (anomalies included: the producer sends 20 s behind the wall clock after the
// outage, and the etl must not have moved past it), and the lake holds every offset of the event
// topics exactly once.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Queryable } from '../../src/adapters/postgres/database.ts'
import { migrate } from '../../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../../src/adapters/postgres/test-database.ts'
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/s3/s3-object-store.ts'
import { createTestBucket, deleteTestBuckets, ensureS3Server } from '../../src/adapters/s3/s3-test-server.ts'
import { EVENT_TOPICS } from '../../src/contracts/topics.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from '../../src/pipelines/etl-test-kit.ts'
import type { CommandProcess } from '../support/processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
import {
  checkLake,
  expectAlive,
  freshTopicNames,
  log,
  runScenario,
  type StackEnv,
  startEtl,
  startLakeSink,
  startLoad,
  stopAll,
  totalMalformed,
  waitForLake,
} from './support/load-run.ts'

const sizes = faultsSizes()
const BROKER_DOWN_MS = 20_000
const names = freshTopicNames('broker')
const TOPICS = EVENT_TOPICS.map(names.full)
const port = 19_100 + Math.floor(Math.random() * 800)
const stateDir = mkdtempSync(join(tmpdir(), 'streamwatch-faults-kafka-'))
const kafkaEnv = {
  ...process.env,
  KAFKA_PORT: String(port),
  KAFKA_CONTROLLER_PORT: String(port + 1),
  KAFKA_STATE_DIR: stateDir,
  KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
}
const brokers = `127.0.0.1:${port}`
const kafka = (command: 'start' | 'stop') =>
  execFileSync('bash', ['scripts/kafka.sh', command], { env: kafkaEnv, stdio: ['ignore', 'ignore', 'pipe'] })
let database: TestDatabase
let lake: S3ObjectStoreOptions

beforeAll(async () => {
  kafka('start')
  database = await createTestDatabase('pg')
  await migrate(database.db)
  lake = await createTestBucket(ensureS3Server())
})

afterAll(async () => {
  try {
    kafka('stop')
  } catch {
    // not running
  }
  rmSync(stateDir, { recursive: true, force: true })
  await database?.destroy()
  await deleteTestBuckets()
})

describe('broker stopped and restarted under load', () => {
  it('resumes by itself and loses and doubles nothing', async () => {
    await runScenario(
      {
        scenario: 'broker stopped and restarted',
        load: `${sizes.loadRatePerSecond.toLocaleString('en')} ev/s for ${sizes.loadDurationMs / 1000} s`,
        faults: `private broker stopped (SIGTERM) for ${BROKER_DOWN_MS / 1000} s, then started on the same data`,
      },
      async (outcome) => {
        const stack: StackEnv = {
          brokers,
          databaseUrl: database.options.url ?? '',
          topicPrefix: names.prefix,
          lake,
        }
        // the load generator waits the outage out too (retries for ~60 s), so the load is whole
        const running = await startLoad(
          names,
          sizes.loadRatePerSecond,
          sizes.loadDurationMs,
          { seed: 6060, anomalyRatio: 0.01, malformedRatio: 0.01 },
          { brokers, bus: { retries: 240, retryDelayMs: 250 } },
        )
        const etl = startEtl(stack)
        const sink = startLakeSink(stack)
        const store = createS3ObjectStore(lake)
        try {
          await waitFor(async () => (await readTables(database.db)).rows > 0, 60_000, 'the first rows')
          await sleep(10_000)
          log('broker', 'stopping the broker')
          kafka('stop')
          await sleep(BROKER_DOWN_MS)
          expectAlive(etl, 'the etl while the broker is down')
          expectAlive(sink, 'the lake sink while the broker is down')
          kafka('start')
          log('broker', 'broker started again')
          const summary = await running.done
          const manifest = summary.manifest
          outcome.events = manifest.events
          await waitForRecords(database.db, manifest.events, 300_000, etl)
          await waitForLake(store, TOPICS, manifest.events, 300_000, [sink])
          // a little longer for the episodes the wall clock resolves
          await sleep(5_000)
          await stopAll([etl, sink])
          expect(etl.child.exitCode).toBe(0)
          expect(sink.child.exitCode).toBe(0)
          const tables = await readTables(database.db)
          outcome.lost = Math.max(0, manifest.events - tables.rows - tables.deadLetters)
          outcome.duplicates = Math.max(0, tables.rows + tables.deadLetters - manifest.events)
          expect(tables.deadLetters).toBe(totalMalformed(manifest))
          expect(tables.rows).toBe(manifest.events - totalMalformed(manifest))
          const lakeFigures = await checkLake(store, TOPICS, manifest.events)
          outcome.lakeMissing = lakeFigures.missing
          outcome.duplicates += lakeFigures.duplicates
          // Found by this scenario (77 of 161 missed, before the fix in src/pipelines/etl.ts):
          // the producer sends 20 s behind after the outage; the etl must not have moved past it.
          const missed = manifest.anomalies.length - tables.anomalies.length
          outcome.notes =
            `rows, dead letters and lake exact; anomalies ${tables.anomalies.length} of ${manifest.anomalies.length}` +
            (missed === 0 ? ' = manifest' : ` (${missed} missed)`) +
            `; achieved ${Math.round(summary.ratePerSecond)} ev/s`
          await expectTablesToMatchManifest(database.db, manifest)
        } finally {
          running.stop()
          await store.close()
        }
      },
    )
  })
})

async function waitForRecords(
  db: Queryable,
  count: number,
  timeoutMs: number,
  etl: CommandProcess,
): Promise<void> {
  await waitFor(
    async () => {
      expectAlive(etl, 'the etl')
      const tables = await readTables(db)
      return tables.rows + tables.deadLetters >= count
    },
    timeoutMs,
    'every record in PostgreSQL',
  )
}
