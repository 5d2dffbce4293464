// PostgreSQL stopped for 20 s in the middle of a run, then started again: the etl stops fetching,
// retries, logs the outage once and its end once, resumes by itself, and the final tables are
// complete. The server is a private one (test/support/private-postgres.ts): stopping it disturbs
// no other test.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../src/adapters/postgres/database.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTopicNames } from '../src/contracts/topics.ts'
import type { GenerationManifest } from '../src/core/generate/event-stream.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from '../src/pipelines/etl-test-kit.ts'
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.ts'
import { deleteTopics, produceToKafka, startCommand, stopCommand, TEST_BROKERS } from './support/processes.ts'

const COUNT = Number(process.env['TEST_ETL_OUTAGE_EVENTS'] ?? 100_000)
const prefix = `etloutage-${randomBytes(4).toString('hex')}.`
const names = createTopicNames(prefix)
let manifest: GenerationManifest
let postgres: PrivatePostgres

beforeAll(async () => {
  postgres = await startPrivatePostgres()
  manifest = await produceToKafka(names, COUNT, {
    seed: 11,
    startMs: Date.now() - 3_600_000,
    eventRatePerSecond: 1_000,
    anomalyRatio: 0.01,
    malformedRatio: 0.01,
  })
}, 600_000)

afterAll(() => {
  deleteTopics(names)
  postgres?.destroy()
})

describe('etl when PostgreSQL goes away', () => {
  it('waits while PostgreSQL is down for 20 s, resumes, and stores everything once', async () => {
    const setup = await createDatabase({ url: postgres.url })
    await migrate(setup)
    await setup.close()
    const etl = startCommand('etl', {
      KAFKA_BROKERS: TEST_BROKERS,
      DATABASE_URL: postgres.url,
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'info',
    })
    const db = await createDatabase({ url: postgres.url })
    try {
      await waitFor(async () => (await readTables(db)).rows > 0, 60_000, 'the first rows')
      postgres.stop()
      await sleep(20_000)
      expect(etl.child.exitCode).toBeNull() // still running, waiting
      postgres.start()
      await waitFor(
        async () => {
          const tables = await readTables(db).catch(() => undefined)
          return (
            tables !== undefined &&
            tables.rows + tables.deadLetters === manifest.events &&
            tables.anomalies.length >= manifest.anomalies.length
          )
        },
        300_000,
        'the etl to drain after the outage',
      )
      expect(await stopCommand(etl, 'SIGTERM')).toBe(0)
      await expectTablesToMatchManifest(db, manifest)
      const logs = etl.stderr()
      expect(
        logs.match(/commit batch: failed, retrying until it recovers|load partitions: failed/g)?.length ?? 0,
      ).toBeGreaterThanOrEqual(1)
      expect(logs).toMatch(/recovered/)
    } finally {
      await db.close()
    }
  })
})
