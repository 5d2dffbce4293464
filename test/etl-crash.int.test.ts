// The etl as users run it: `streamwatch etl` processes on the real broker and PostgreSQL.
// - killed with SIGKILL at random moments and restarted, the final tables equal the generator's
//   manifest (so an uninterrupted run's): same rows, same dead letters, same anomaly ids;
// - two processes in one consumer group give the same final tables as one.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaBus } from '../src/adapters/kafka/kafka-bus.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { ALL_TOPICS, createTopicNames } from '../src/contracts/topics.ts'
import type { GenerationManifest } from '../src/core/generate/event-stream.ts'
import { silentLogger } from '../src/observability/logger.ts'
import { expectTablesToMatchManifest, readTables, waitFor } from '../src/pipelines/etl-test-kit.ts'
import { runProduce } from '../src/pipelines/produce.ts'

const BROKERS = process.env['TEST_KAFKA_BROKERS'] ?? '127.0.0.1:9092'
const COUNT = Number(process.env['TEST_ETL_EVENTS'] ?? 200_000)
const prefix = `etlcrash-${randomBytes(4).toString('hex')}.`
const names = createTopicNames(prefix)
let manifest: GenerationManifest

beforeAll(async () => {
  const bus = createKafkaBus({ brokers: [BROKERS], clientId: 'etl-crash-test', logger: silentLogger })
  try {
    await bus.ensureTopics(ALL_TOPICS.map(names.full), 6)
    const produced = await runProduce(
      {
        bus,
        topicNames: names,
        // an hour ago: once drained, idle partitions resolve their episodes by the wall clock at once
        stream: {
          seed: 42,
          startMs: Date.now() - 3_600_000,
          eventRatePerSecond: 1_000,
          anomalyRatio: 0.01,
          malformedRatio: 0.01,
        },
        ratePerSecond: 0,
        count: COUNT,
      },
      new AbortController().signal,
    )
    manifest = produced.manifest
  } finally {
    await bus.close()
  }
}, 600_000)

afterAll(async () => {
  const { execFileSync } = await import('node:child_process')
  const topics = ALL_TOPICS.map(names.full).join(',')
  try {
    execFileSync(
      'bash',
      ['scripts/kafka.sh', 'tool', 'topics', '--bootstrap-server', BROKERS, '--delete', '--topic', topics],
      {
        stdio: 'ignore',
      },
    )
  } catch {
    // best effort: a leftover test topic does no harm
  }
})

function startEtl(database: TestDatabase): ChildProcess {
  const child = spawn(process.execPath, ['src/cli/main.ts', 'etl'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS,
      DATABASE_URL: database.options.url,
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill(signal)
  return exited
}

async function drained(database: TestDatabase): Promise<boolean> {
  const tables = await readTables(database.db)
  return (
    tables.rows + tables.deadLetters === manifest.events &&
    tables.anomalies.length >= manifest.anomalies.length
  )
}

describe('etl processes on Kafka and PostgreSQL', () => {
  it('loses and doubles nothing when killed at random moments and restarted', async () => {
    const database = await createTestDatabase('pg')
    await migrate(database.db)
    try {
      for (let kill = 0; kill < 3; kill++) {
        const child = startEtl(database)
        await sleep(3_000 + Math.random() * 4_000)
        const before = await readTables(database.db)
        await stop(child, 'SIGKILL')
        process.stderr.write(
          `[etl-crash] kill ${kill + 1}: ${before.rows + before.deadLetters} records stored\n`,
        )
      }
      const child = startEtl(database)
      await waitFor(() => drained(database), 300_000, 'the etl to drain')
      expect(await stop(child, 'SIGTERM')).toBe(0)
      await expectTablesToMatchManifest(database.db, manifest)
    } finally {
      await database.destroy()
    }
  })

  it('gives the same tables with two processes in the group as with one', async () => {
    const database = await createTestDatabase('pg')
    await migrate(database.db)
    try {
      const first = startEtl(database)
      await sleep(2_000)
      const second = startEtl(database)
      await waitFor(() => drained(database), 300_000, 'the etl to drain')
      expect(await stop(second, 'SIGTERM')).toBe(0)
      expect(await stop(first, 'SIGTERM')).toBe(0)
      await expectTablesToMatchManifest(database.db, manifest)
    } finally {
      await database.destroy()
    }
  })
})
