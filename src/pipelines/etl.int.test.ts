// The etl end to end, in one process: the generator publishes into the in-memory bus, the etl
// drains it into a real database (PostgreSQL and PGlite), and the tables must equal what the
// generator's manifest says it produced: rows, dead letters, and anomalies exactly.
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../adapters/memory-bus/memory-bus.ts'
import { createEtlStore } from '../adapters/postgres/etl-store.ts'
import { migrate } from '../adapters/postgres/migrate.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../adapters/postgres/test-database.ts'
import { createTopicNames } from '../contracts/topics.ts'
import { createCleanPolicy } from '../core/clean/index.ts'
import { DEFAULT_RULES } from '../core/detect/index.ts'
import { silentLogger } from '../observability/logger.ts'
import { runEtl } from './etl.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from './etl-test-kit.ts'
import { runProduce } from './produce.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe.each(DATABASE_KINDS)('etl on %s', (kind) => {
  it('stores every valid event once, every malformed one as a dead letter, and the anomalies of the manifest', async () => {
    const database: TestDatabase = await createTestDatabase(kind)
    cleanups.push(() => database.destroy())
    await migrate(database.db)
    const bus = createMemoryBus({ defaultPartitions: 3 })
    cleanups.push(() => bus.close())
    const names = createTopicNames('')
    await bus.ensureTopics(['logs', 'metrics', 'transactions', 'dead-letters'], 3)

    // an hour ago, so that idle partitions resolve their episodes by the wall clock at once
    const startMs = Date.now() - 3_600_000
    const produced = await runProduce(
      {
        bus,
        topicNames: names,
        stream: { seed: 7, startMs, eventRatePerSecond: 200, anomalyRatio: 0.01, malformedRatio: 0.01 },
        ratePerSecond: 0,
        count: 30_000,
      },
      new AbortController().signal,
    )
    const manifest = produced.manifest
    expect(manifest.anomalies.length).toBeGreaterThan(5)

    const controller = new AbortController()
    const etl = runEtl(
      {
        bus,
        store: createEtlStore(database.db, { groupId: names.group('etl') }),
        names,
        rules: DEFAULT_RULES,
        policy: createCleanPolicy(),
        logger: silentLogger,
        idleGraceMs: 500,
      },
      controller.signal,
    )
    await waitFor(async () => {
      const tables = await readTables(database.db)
      return (
        tables.rows + tables.deadLetters === manifest.events &&
        tables.anomalies.length >= manifest.anomalies.length
      )
    }, 60_000)
    controller.abort()
    const summary = await etl
    expect(summary.records).toBe(manifest.events)

    await expectTablesToMatchManifest(database.db, manifest)
  })
})
