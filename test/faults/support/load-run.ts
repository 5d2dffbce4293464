// What the fault scenarios share: a steady, paced load of generated events on fresh topics, the
// etl and lake sink as real child processes, and the checks on data (PostgreSQL against the
// generator's manifest; the lake holding every offset once).
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect } from 'vitest'
import { createKafkaBus, type KafkaBusOptions } from '../../../src/adapters/kafka/kafka-bus.ts'
import type { Queryable } from '../../../src/adapters/postgres/database.ts'
import { migrate } from '../../../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../../../src/adapters/postgres/test-database.ts'
import type { S3ObjectStoreOptions } from '../../../src/adapters/s3/s3-object-store.ts'
import { ALL_TOPICS, createTopicNames, type TopicNames } from '../../../src/contracts/topics.ts'
import type { GenerationManifest } from '../../../src/core/generate/event-stream.ts'
import { silentLogger } from '../../../src/observability/logger.ts'
import { expectTablesToMatchManifest, readTables } from '../../../src/pipelines/etl-test-kit.ts'
import { countLakeOffsets, readLake } from '../../../src/pipelines/lake-test-kit.ts'
import type { ObjectStore } from '../../../src/pipelines/ports.ts'
import {
  type ProduceProgress,
  type ProduceStreamOptions,
  type ProduceSummary,
  runProduce,
} from '../../../src/pipelines/produce.ts'
import {
  type CommandProcess,
  deleteTopics,
  startCommand,
  stopCommand,
  TEST_BROKERS,
} from '../../support/processes.ts'
import { recordResult, type ScenarioResult } from './results.ts'

export const PARTITIONS = 6

export function freshTopicNames(scenario: string): TopicNames {
  return createTopicNames(`fault-${scenario}-${randomBytes(3).toString('hex')}.`)
}

/**
 * A scenario file's own PostgreSQL database: made and migrated before the file's tests; after
 * them, the topics under `names` are deleted and the database dropped. Its hooks are registered
 * first, so the file's own set-up runs after it and its clean-up before it.
 */
export function scenarioDatabase(names: TopicNames): Pick<TestDatabase, 'db' | 'options'> {
  let made: TestDatabase | undefined
  beforeAll(async () => {
    made = await createTestDatabase('pg')
    await migrate(made.db)
  })
  afterAll(async () => {
    deleteTopics(names)
    await made?.destroy()
  })
  const current = () => {
    if (!made) throw new Error('the scenario database is made in beforeAll: use it inside a test or hook')
    return made
  }
  return {
    get db() {
      return current().db
    },
    get options() {
      return current().options
    },
  }
}

export interface RunningLoad {
  /** resolves when the load has been sent in full */
  done: Promise<ProduceSummary>
  /** stops the load early */
  stop(): void
}

/**
 * Sends generated events at `ratePerSecond` of wall time for `durationMs` (event time follows
 * wall time, as in production), on topics created here with PARTITIONS partitions.
 */
export async function startLoad(
  names: TopicNames,
  ratePerSecond: number,
  durationMs: number,
  stream: ProduceStreamOptions,
  options: {
    brokers?: string
    bus?: Partial<KafkaBusOptions>
    onProgress?: (progress: ProduceProgress) => void
  } = {},
): Promise<RunningLoad> {
  const bus = createKafkaBus({
    brokers: [options.brokers ?? TEST_BROKERS],
    clientId: 'streamwatch-faults',
    logger: silentLogger,
    ...options.bus,
  })
  await bus.ensureTopics(ALL_TOPICS.map(names.full), PARTITIONS)
  const controller = new AbortController()
  const done = runProduce(
    { bus, topicNames: names, stream, ratePerSecond, durationMs, logger: silentLogger },
    controller.signal,
    options.onProgress,
  ).finally(() => bus.close())
  return { done, stop: () => controller.abort() }
}

export interface StackEnv {
  brokers?: string
  databaseUrl: string
  topicPrefix: string
  lake?: S3ObjectStoreOptions
}

export function etlEnv(stack: StackEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.brokers ?? TEST_BROKERS,
    DATABASE_URL: stack.databaseUrl,
    TOPIC_PREFIX: stack.topicPrefix,
    KAFKA_PARTITIONS: String(PARTITIONS),
  }
}

export function lakeEnv(stack: StackEnv): Record<string, string> {
  const lake = stack.lake
  if (!lake) throw new Error('no lake configured')
  return {
    KAFKA_BROKERS: stack.brokers ?? TEST_BROKERS,
    TOPIC_PREFIX: stack.topicPrefix,
    KAFKA_PARTITIONS: String(PARTITIONS),
    LAKE_URL: lake.url,
    S3_ENDPOINT: lake.endpoint ?? '',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: lake.region ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: lake.accessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: lake.secretAccessKey ?? '',
  }
}

export const startEtl = (stack: StackEnv): CommandProcess => startCommand('etl', etlEnv(stack))
export const startLakeSink = (stack: StackEnv): CommandProcess => startCommand('lake-sink', lakeEnv(stack))

/** A process that died on its own (not by our signal) fails the scenario with its logs. */
export function expectAlive(process: CommandProcess, what: string): void {
  const { exitCode, signalCode } = process.child
  if (exitCode !== null || signalCode !== null) {
    throw new Error(`${what} exited (${exitCode ?? signalCode}):\n${process.stderr().slice(-3_000)}`)
  }
}

export async function stopAll(processes: CommandProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => stopCommand(p, 'SIGTERM')))
}

export const totalMalformed = (manifest: GenerationManifest): number =>
  Object.values(manifest.malformed).reduce((sum, n) => sum + (n ?? 0), 0)

/** Polls until PostgreSQL holds a row or dead letter per record and at least the manifest's anomalies. */
export async function waitForTables(
  db: Queryable,
  manifest: GenerationManifest,
  timeoutMs: number,
  watch: CommandProcess[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const p of watch) expectAlive(p, 'a pipeline process')
    const tables = await readTables(db).catch(() => undefined)
    if (
      tables &&
      tables.rows + tables.deadLetters >= manifest.events &&
      tables.anomalies.length >= manifest.anomalies.length
    )
      return
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms: ${tables ? tables.rows + tables.deadLetters : '?'} of ${manifest.events} records, ` +
          `${tables?.anomalies.length ?? '?'} of ${manifest.anomalies.length} anomalies`,
      )
    }
    await sleep(500)
  }
}

export interface TableFigures {
  lost: number
  duplicates: number
  anomalies: number
}

/** The final tables equal the manifest; returns the figures for the report (taken before asserting). */
export async function checkTables(db: Queryable, manifest: GenerationManifest): Promise<TableFigures> {
  const tables = await readTables(db)
  const stored = tables.rows + tables.deadLetters
  const seen = new Set(tables.anomalies.map((a) => `${a.rule}/${a.key}/${a.firstSeenMs}`))
  const figures = {
    lost: Math.max(0, manifest.events - stored),
    duplicates: Math.max(0, stored - manifest.events) + (tables.anomalies.length - seen.size),
    anomalies: tables.anomalies.length,
  }
  await expectTablesToMatchManifest(db, manifest)
  return figures
}

/** Polls until the lake spans `expected` offsets of `topics`. */
export async function waitForLake(
  store: ObjectStore,
  topics: string[],
  expected: number,
  timeoutMs: number,
  watch: CommandProcess[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = -1
  for (;;) {
    for (const p of watch) expectAlive(p, 'the lake sink')
    last = await countLakeOffsets(store, topics).catch(() => last)
    if (last >= expected) return
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: lake spans ${last} of ${expected}`)
    await sleep(1_000)
  }
}

export interface LakeFigures {
  missing: number
  duplicates: number
}

/**
 * Every offset of `topics` (fresh topics, so offsets 0..n-1 per partition) once in the lake: no
 * gaps, no overlaps, no record twice, `expected` records in all.
 */
export async function checkLake(
  store: ObjectStore,
  topics: string[],
  expected: number,
): Promise<LakeFigures> {
  const lake = await readLake(store, topics)
  const figures = {
    missing: Math.max(0, expected - lake.records.size),
    duplicates: lake.repeats.length,
  }
  expect(lake.problems).toEqual([])
  expect(lake.repeats).toEqual([])
  expect(lake.records.size).toBe(expected)
  const firstByPartition = new Map<string, number>()
  for (const r of lake.records.values()) {
    const id = `${r.topic}+${r.partition}`
    firstByPartition.set(id, Math.min(firstByPartition.get(id) ?? Number.POSITIVE_INFINITY, r.offset))
  }
  for (const [id, first] of firstByPartition) expect(first, `${id} starts at 0`).toBe(0)
  return figures
}

type Outcome = Pick<ScenarioResult, 'events' | 'lost' | 'duplicates' | 'lakeMissing' | 'notes' | 'faults'>

/** Runs a scenario and records its result, passed or failed; rethrows a failure. */
export async function runScenario(
  meta: Pick<ScenarioResult, 'scenario' | 'load' | 'faults'>,
  body: (outcome: Outcome) => Promise<void>,
): Promise<void> {
  const startedAt = Date.now()
  const outcome: Outcome = {
    events: 0,
    lost: 0,
    duplicates: 0,
    lakeMissing: null,
    notes: '',
    faults: meta.faults,
  }
  try {
    await body(outcome)
    recordResult({ ...meta, ...outcome, passed: true, durationMs: Date.now() - startedAt })
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error)
    recordResult({
      ...meta,
      ...outcome,
      passed: false,
      notes: `${outcome.notes} FAILED: ${message}`.trim(),
      durationMs: Date.now() - startedAt,
    })
    throw error
  }
}

export const randomBetween = (minMs: number, maxMs: number): number => minMs + Math.random() * (maxMs - minMs)

export function log(scenario: string, message: string): void {
  process.stderr.write(`[faults:${scenario}] ${message}\n`)
}
