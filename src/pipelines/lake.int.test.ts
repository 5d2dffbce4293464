// The lake sink and replay against the real things: Kafka on 127.0.0.1:9092 and the S3 server
// (scripts/s3.sh). Each run uses topics and groups of its own (a unique TOPIC_PREFIX) and a
// bucket of its own.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Admin } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaBus } from '../adapters/kafka/kafka-bus.ts'
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../adapters/s3/s3-object-store.ts'
import {
  createTestBucket,
  deleteTestBuckets,
  ensureS3Server,
  stopS3Server,
} from '../adapters/s3/s3-test-server.ts'
import { ALL_TOPICS, createTopicNames } from '../contracts/topics.ts'
import { silentLogger } from '../observability/logger.ts'
import { createLakeSink, LAKE_SINK_DEFAULTS, type LakeSinkOptions } from './lake.ts'
import {
  checkingCommits,
  countLakeOffsets,
  expectExactlyOnce,
  makeTestRecords,
  publishAll,
  readBus,
  readLake,
  waitUntil,
} from './lake-test-kit.ts'
import type { Bus, ObjectStore, RawRecord } from './ports.ts'
import { replayLake } from './replay.ts'

const BROKERS = ['127.0.0.1:9092']
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url))
const START_MS = Date.now() - 3 * 3_600_000

const server = ensureS3Server()
afterAll(deleteTestBuckets)
const names = createTopicNames(`lake-it-${Date.now().toString(36)}.`)
const TOPICS = ALL_TOPICS.map((t) => names.full(t))

let bus: Bus
beforeAll(async () => {
  bus = createKafkaBus({ brokers: BROKERS, clientId: 'lake-int-test', logger: silentLogger })
  await bus.ensureTopics(TOPICS, 3)
})
afterAll(async () => {
  await bus?.close()
  // the topics of this run (they hold ~130k records): the broker is shared
  const admin = new Admin({ clientId: 'lake-int-test-cleanup', bootstrapBrokers: BROKERS })
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(names.prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.close()
  }
})

function sinkOptions(overrides: Partial<LakeSinkOptions> = {}): LakeSinkOptions {
  return {
    ...LAKE_SINK_DEFAULTS,
    topics: TOPICS,
    groupId: names.group('lake'),
    maxObjectRecords: 5_000,
    maxBufferAgeMs: 1_000,
    retry: { initialDelayMs: 100, maxDelayMs: 2_000 },
    ...overrides,
  }
}

function startSink(sinkBus: Bus, store: ObjectStore, overrides: Partial<LakeSinkOptions> = {}) {
  const sink = createLakeSink({ bus: sinkBus, store, logger: silentLogger }, sinkOptions(overrides))
  const controller = new AbortController()
  const running = sink.run(controller.signal)
  return {
    sink,
    async stop() {
      controller.abort()
      await running
    },
  }
}

describe('lake sink on Kafka and S3', () => {
  let storeOptions: S3ObjectStoreOptions
  let store: ObjectStore
  let onBus: Map<string, RawRecord>
  const COUNT = 60_000

  beforeAll(async () => {
    storeOptions = await createTestBucket(server)
    store = createS3ObjectStore(storeOptions)
  })
  afterAll(async () => {
    await store?.close()
  })

  it('archives every record exactly once, byte for byte', async () => {
    await publishAll(bus, makeTestRecords(TOPICS, COUNT, START_MS))
    const run = startSink(bus, store)
    await waitUntil(
      'the lake holds every record',
      async () => (await countLakeOffsets(store)) === COUNT,
      90_000,
    )
    await run.stop()
    onBus = await readBus(bus, TOPICS, names.group('lake') + '-verify', COUNT)
    expect(onBus.size).toBe(COUNT)
    expectExactlyOnce(await readLake(store), onBus)
  })

  it('replays one topic into a fresh topic, keys and values byte for byte', async () => {
    const source = names.full('transactions')
    const target = `${names.prefix}transactions-replayed`
    await bus.ensureTopics([target], 3)
    const producer = bus.createProducer()
    const summary = await replayLake(
      { store, producer, logger: silentLogger },
      { topics: [source], toTopic: target },
      new AbortController().signal,
    )
    await producer.close()
    const original = [...onBus.values()].filter((r) => r.topic === source)
    expect(summary).toMatchObject({ recordsPublished: original.length, gaps: 0, duplicatesSkipped: 0 })
    const replayed = [...(await readBus(bus, [target], `${target}-verify`, original.length)).values()]
    const fingerprint = (r: RawRecord) =>
      JSON.stringify([
        r.key && Buffer.from(r.key).toString('hex'),
        r.value && Buffer.from(r.value).toString('hex'),
        r.timestampMs,
        r.headers.map(([k, v]) => [k, Buffer.from(v).toString('hex')]),
      ])
    expect(replayed.map(fingerprint).sort()).toEqual(original.map(fingerprint).sort())
  })
})

describe('lake sink killed with SIGKILL three times', () => {
  it('still archives every record exactly once, with no partial object', async () => {
    const crashNames = createTopicNames(`${names.prefix}crash.`)
    const topics = ALL_TOPICS.map((t) => crashNames.full(t))
    await bus.ensureTopics(topics, 3)
    const storeOptions = await createTestBucket(server)
    const store = createS3ObjectStore(storeOptions)
    const dataDir = await mkdtemp(join(tmpdir(), 'streamwatch-lake-crash-'))
    const env = {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      TOPIC_PREFIX: crashNames.prefix,
      LAKE_URL: storeOptions.url,
      S3_ENDPOINT: server.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    }
    const spawnSink = () =>
      spawn(process.execPath, [MAIN, 'lake-sink', '--flush-after', '500ms', '--max-object-records', '700'], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      })
    const exited = (child: ChildProcess) =>
      new Promise<number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ? -1 : code)),
      )
    const COUNT = 40_000
    // A quarter of the records is published before each sink starts, while no sink runs, so every
    // sink finds records left to archive (a sink that had archived everything before its kill
    // would otherwise leave the next one nothing to do, and the wait below would never end).
    let published = 0
    const publishQuarter = async () => {
      await publishAll(bus, makeTestRecords(topics, COUNT / 4, START_MS - published * 1_000))
      published += COUNT / 4
    }
    try {
      for (let crash = 1; crash <= 3; crash++) {
        await publishQuarter()
        const child = spawnSink()
        const before = await countLakeOffsets(store)
        // Kill at a random moment once it is archiving (a restart first waits for the group to
        // drop the killed member, up to the session timeout).
        await waitUntil('the sink archives', async () => (await countLakeOffsets(store)) > before, 90_000)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 1_500))
        child.kill('SIGKILL')
        expect(await exited(child)).toBe(-1)
      }
      await publishQuarter()
      // A SIGTERM sent while the last sink's node is still starting (before it listens for
      // signals) would kill it outright, so wait for it to have started too.
      const last = spawn(
        process.execPath,
        [MAIN, 'lake-sink', '--flush-after', '500ms', '--max-object-records', '700'],
        { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let lastLog = ''
      last.stderr?.on('data', (chunk: Buffer) => {
        lastLog += chunk.toString()
      })
      await waitUntil(
        'the lake holds every record',
        async () => lastLog.includes('lake sink started') && (await countLakeOffsets(store)) === COUNT,
        150_000,
      )
      last.kill('SIGTERM')
      expect(await exited(last)).toBe(0)
      const lake = await readLake(store) // reads and gunzips every object: a partial one would fail here
      expectExactlyOnce(lake, await readBus(bus, topics, `${crashNames.prefix}verify`, COUNT))
    } finally {
      await store.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 480_000)
})

describe('lake sink while the S3 server is down for 20 s', () => {
  const outageEnv = { ...process.env, S3_PORT: '9011', S3_STATE_DIR: '' }
  let stateDir: string

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'streamwatch-s3-outage-'))
    outageEnv.S3_STATE_DIR = stateDir
  })
  afterAll(async () => {
    stopS3Server(outageEnv)
    await rm(stateDir, { recursive: true, force: true })
  })

  it('stops fetching, commits nothing ahead, retries, and completes exactly once', async () => {
    const outageNames = createTopicNames(`${names.prefix}outage.`)
    const topics = ALL_TOPICS.map((t) => outageNames.full(t))
    await bus.ensureTopics(topics, 3)
    const own = ensureS3Server(outageEnv)
    const store = createS3ObjectStore({
      ...(await createTestBucket(own, 'lake', { deleteAfter: false })),
      maxAttempts: 1,
      connectionTimeoutMs: 1_000,
    })
    const COUNT = 30_000
    await publishAll(bus, makeTestRecords(topics, COUNT, START_MS))
    const aheadOfStore: string[] = []
    const run = startSink(checkingCommits(bus, store, aheadOfStore), store, {
      topics,
      groupId: outageNames.group('lake'),
      maxObjectRecords: 1_000,
      maxBatchRecords: 1_000,
      maxBufferedBytes: 512 * 1024,
    })
    try {
      await waitUntil('some is archived', async () => (await countLakeOffsets(store)) >= 3_000, 90_000)
      stopS3Server(outageEnv)
      await new Promise((resolve) => setTimeout(resolve, 5_000))
      const early = run.sink.stats()
      await new Promise((resolve) => setTimeout(resolve, 15_000))
      const late = run.sink.stats()
      // Stopped fetching: nothing came in for the last 15 s of the outage.
      expect(late.recordsReceived).toBe(early.recordsReceived)
      expect(late.storeRetries).toBeGreaterThan(early.storeRetries)
      expect(late.recordsArchived).toBeLessThan(COUNT)
      ensureS3Server(outageEnv)
      await waitUntil(
        'the lake holds every record',
        async () => (await countLakeOffsets(store)) === COUNT,
        90_000,
      )
    } finally {
      await run.stop()
    }
    expect(aheadOfStore).toEqual([])
    expectExactlyOnce(await readLake(store), await readBus(bus, topics, `${outageNames.prefix}verify`, COUNT))
    await store.close()
  }, 240_000)
})
