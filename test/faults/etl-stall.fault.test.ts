// Regression (found by the PostgreSQL outage scenario): while the etl waited out a database
// outage it fetched nothing, yet the wall clock kept counting toward "partition idle"; after the
// outage every partition missing from the next batch looked idle, its watermark jumped to now
// past its backlog, and the backlog's events counted as late: error bursts in flight during the
// outage were never detected. In one process (in-memory bus, PGlite) with a store whose commits
// fail, retriably, for 8 s in the middle of a live load: the tables must still equal the manifest.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../../src/adapters/memory-bus/memory-bus.ts'
import { createEtlStore, type EtlStore } from '../../src/adapters/postgres/etl-store.ts'
import { migrate } from '../../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../../src/adapters/postgres/test-database.ts'
import { ALL_TOPICS, createTopicNames } from '../../src/contracts/topics.ts'
import { createCleanPolicy } from '../../src/core/clean/index.ts'
import { DEFAULT_RULES } from '../../src/core/detect/index.ts'
import type { GenerationManifest } from '../../src/core/generate/event-stream.ts'
import { StreamwatchError } from '../../src/errors.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { runEtl } from '../../src/pipelines/etl.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { runProduce } from '../../src/pipelines/produce.ts'
import { runScenario } from './support/load-run.ts'

const STALL_MS = 8_000
let database: TestDatabase | undefined

afterAll(async () => {
  await database?.destroy()
})

/** The store, with commits failing as in an outage (retriable `db_unavailable`) while `down` holds. */
function failingWhile(store: EtlStore, down: () => boolean): EtlStore {
  return {
    ...store,
    loadPartitions: (partitions) => store.loadPartitions(partitions),
    async commitBatch(batch) {
      if (down()) throw new StreamwatchError('db_unavailable', 'postgres: down (test)', { retriable: true })
      return store.commitBatch(batch)
    },
  }
}

describe('etl after a stall', () => {
  it('detects the bursts whose events piled up while commits were failing', async () => {
    await runScenario(
      {
        scenario: 'etl stall (regression)',
        load: '1,000 ev/s for 30 s, in-process',
        faults: `every commit failing (retriable) for ${STALL_MS / 1000} s`,
      },
      async (outcome) => {
        const manifest = await stallRun()
        outcome.events = manifest.events
        await expectTablesToMatchManifest(database!.db, manifest)
        outcome.notes = `${manifest.anomalies.length} anomalies = manifest (failed before the fix in src/pipelines/etl.ts)`
      },
    )
  })
})

async function stallRun(): Promise<GenerationManifest> {
  database = await createTestDatabase('pglite')
  await migrate(database.db)
  const bus = createMemoryBus({ defaultPartitions: 4 })
  const names = createTopicNames('')
  await bus.ensureTopics(ALL_TOPICS.map(names.full), 4)
  let down = false
  const controller = new AbortController()
  const etl = runEtl(
    {
      bus,
      store: failingWhile(createEtlStore(database.db, { groupId: names.group('etl') }), () => down),
      names,
      rules: DEFAULT_RULES,
      policy: createCleanPolicy(),
      logger: silentLogger,
      idleGraceMs: 1_000,
      maxBatchRecords: 200,
    },
    controller.signal,
  )
  // live: event time follows the wall clock; sparse partitions (metrics) miss whole batches
  const load = runProduce(
    {
      bus,
      topicNames: names,
      stream: { seed: 99, anomalyRatio: 0.02 },
      ratePerSecond: 1_000,
      durationMs: 30_000,
    },
    new AbortController().signal,
  )
  await sleep(8_000)
  down = true
  await sleep(STALL_MS)
  down = false
  const manifest = (await load).manifest
  expect(manifest.anomalies.length).toBeGreaterThan(10)
  await waitFor(async () => {
    const tables = await readTables(database!.db)
    return (
      tables.rows + tables.deadLetters === manifest.events &&
      tables.anomalies.length >= manifest.anomalies.length
    )
  }, 60_000).catch(() => undefined)
  controller.abort()
  await etl
  await bus.close()
  return manifest
}
