// The etl as users run it: `streamwatch etl` processes on the real broker and PostgreSQL.
// - killed with SIGKILL at random moments and restarted, the final tables equal the generator's
//   manifest (so an uninterrupted run's): same rows, same dead letters, same anomaly ids;
// - two processes in one consumer group give the same final tables as one.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { createTopicNames } from '../src/contracts/topics.ts'
import type { GenerationManifest } from '../src/core/generate/event-stream.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from '../src/pipelines/etl-test-kit.ts'
import { deleteTopics, produceToKafka, startCommand, stopCommand, TEST_BROKERS } from './support/processes.ts'

const COUNT = Number(process.env['TEST_ETL_EVENTS'] ?? 200_000)
const prefix = `etlcrash-${randomBytes(4).toString('hex')}.`
const names = createTopicNames(prefix)
let manifest: GenerationManifest

beforeAll(async () => {
  // an hour ago: once drained, idle partitions resolve their episodes by the wall clock at once
  manifest = await produceToKafka(names, COUNT, {
    seed: 42,
    startMs: Date.now() - 3_600_000,
    eventRatePerSecond: 1_000,
    anomalyRatio: 0.01,
    malformedRatio: 0.01,
  })
}, 600_000)

afterAll(() => deleteTopics(names))

function startEtl(database: TestDatabase) {
  return startCommand('etl', {
    KAFKA_BROKERS: TEST_BROKERS,
    DATABASE_URL: database.options.url,
    TOPIC_PREFIX: prefix,
  })
}

async function storedCount(database: TestDatabase): Promise<number> {
  const tables = await readTables(database.db)
  return tables.rows + tables.deadLetters
}

async function drained(database: TestDatabase): Promise<boolean> {
  const tables = await readTables(database.db)
  return (
    tables.rows + tables.deadLetters === manifest.events &&
    tables.anomalies.length >= manifest.anomalies.length
  )
}

async function withDatabase(test: (database: TestDatabase) => Promise<void>): Promise<void> {
  const database = await createTestDatabase('pg')
  try {
    await migrate(database.db)
    await test(database)
  } finally {
    await database.destroy()
  }
}

describe('etl processes on Kafka and PostgreSQL', () => {
  it('loses and doubles nothing when killed at random moments and restarted', async () => {
    await withDatabase(async (database) => {
      let stored = 0
      for (let kill = 0; kill < 3; kill++) {
        const etl = startEtl(database)
        // Kill at a random moment once this process is storing: a restarted one first waits for
        // the group to drop the killed member (up to the session timeout), and a kill before it
        // has its partitions would test nothing. Once everything is stored, it is killed idle.
        const before = stored
        await waitFor(
          async () => {
            const now = await storedCount(database)
            return now > before || now === manifest.events
          },
          90_000,
          'the etl to store records',
        )
        await sleep(Math.random() * 2_000)
        await stopCommand(etl, 'SIGKILL')
        stored = await storedCount(database)
        process.stderr.write(`[etl-crash] kill ${kill + 1}: ${stored} of ${manifest.events} records stored\n`)
      }
      const etl = startEtl(database)
      await waitFor(() => drained(database), 300_000, 'the etl to drain')
      expect(await stopCommand(etl, 'SIGTERM')).toBe(0)
      await expectTablesToMatchManifest(database.db, manifest)
    })
  })

  it('gives the same tables with two processes in the group as with one', async () => {
    await withDatabase(async (database) => {
      const first = startEtl(database)
      await sleep(2_000)
      const second = startEtl(database)
      await waitFor(() => drained(database), 300_000, 'the etl to drain')
      expect(await stopCommand(second, 'SIGTERM')).toBe(0)
      expect(await stopCommand(first, 'SIGTERM')).toBe(0)
      await expectTablesToMatchManifest(database.db, manifest)
    })
  })
})
