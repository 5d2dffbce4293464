// The lake sink end to end on the in-memory bus and the file store (no outside service needed).
// The same flows against Kafka and the S3 server: lake.int.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFileObjectStore } from '../adapters/files/file-object-store.ts'
import { createMemoryBus } from '../adapters/memory-bus/memory-bus.ts'
import { decodeCheckpoint } from '../core/lake/checkpoint.ts'
import { checkpointKey, parseObjectKey } from '../core/lake/object-key.ts'
import { StreamwatchError } from '../errors.ts'
import { silentLogger } from '../observability/logger.ts'
import { createMetrics } from '../observability/metrics.ts'
import { createLakeSink, LAKE_SINK_DEFAULTS, type LakeSinkOptions } from './lake.ts'
import {
  checkingCommits,
  countLakeOffsets,
  expectExactlyOnce,
  idOf,
  makeTestRecords,
  publishAll,
  readBus,
  readLake,
  waitUntil,
} from './lake-test-kit.ts'
import type { Bus, ObjectStore } from './ports.ts'
import { replayLake } from './replay.ts'

const TOPICS = ['logs', 'metrics', 'transactions', 'dead-letters']
const START_MS = Date.UTC(2025, 0, 31, 9, 20)

const dirs: string[] = []
async function freshStore(): Promise<ObjectStore> {
  const dir = await mkdtemp(join(tmpdir(), 'streamwatch-lake-'))
  dirs.push(dir)
  return createFileObjectStore({ rootDir: dir })
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

async function freshBus(): Promise<Bus> {
  const bus = createMemoryBus({ defaultPartitions: 3 })
  await bus.ensureTopics(TOPICS, 3)
  return bus
}

function options(overrides: Partial<LakeSinkOptions> = {}): LakeSinkOptions {
  return {
    ...LAKE_SINK_DEFAULTS,
    topics: TOPICS,
    groupId: 'lake',
    maxObjectRecords: 700,
    maxBufferAgeMs: 300,
    maxBatchRecords: 500,
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    ...overrides,
  }
}

/** Starts a sink; `stop()` aborts it and waits for it to end. */
function startSink(bus: Bus, store: ObjectStore, overrides: Partial<LakeSinkOptions> = {}) {
  const metrics = createMetrics({ defaultMetrics: false })
  const sink = createLakeSink({ bus, store, logger: silentLogger, metrics }, options(overrides))
  const controller = new AbortController()
  const running = sink.run(controller.signal)
  return {
    sink,
    running,
    /** a counter's total over the lake stage's series (optionally one label more) */
    async counted(counter: 'eventsReceived' | 'eventsWritten' | 'errors', code?: string) {
      const { values } = await metrics[counter].get()
      return values
        .filter((v) => {
          const labels: Record<string, string | number | undefined> = v.labels
          return labels['stage'] === 'lake' && (code === undefined || labels['code'] === code)
        })
        .reduce((sum, v) => sum + v.value, 0)
    },
    async stop() {
      controller.abort()
      await running
    },
  }
}

describe('lake sink (memory bus, file store)', () => {
  it('archives every record exactly once, byte for byte, one hour per object', async () => {
    const bus = await freshBus()
    const store = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 12_000, START_MS))
    const run = startSink(bus, store)
    await waitUntil(
      'the lake holds 12,000 records',
      async () => (await countLakeOffsets(store)) === 12_000,
      30_000,
    )
    await run.stop()
    const lake = await readLake(store)
    expectExactlyOnce(lake, await readBus(bus, TOPICS, 'verify', 12_000))
    expect(run.sink.stats()).toMatchObject({ recordsArchived: 12_000, bufferedRecords: 0, storeRetries: 0 })
    expect(await run.counted('eventsReceived')).toBe(12_000)
    expect(await run.counted('eventsWritten')).toBe(12_000)
    expect(await run.counted('errors')).toBe(0)
    // 12 partitions x 3 hours, at most 700 records per object
    expect(lake.objects).toBeGreaterThanOrEqual(36)
    await bus.close()
  })

  it('resumes from the lake, not from the group offsets, after a stop', async () => {
    const bus = await freshBus()
    const store = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 6_000, START_MS))
    const first = startSink(bus, store)
    await waitUntil('half is archived', async () => (await countLakeOffsets(store)) >= 3_000, 30_000)
    await first.stop()
    await publishAll(bus, makeTestRecords(TOPICS, 2_000, START_MS + 3_600_000))
    // A new group has no committed offsets: only the lake says where each partition ends.
    const second = startSink(bus, store, { groupId: 'lake-after-losing-its-offsets' })
    await waitUntil('all is archived', async () => (await countLakeOffsets(store)) === 8_000, 30_000)
    await second.stop()
    expectExactlyOnce(await readLake(store), await readBus(bus, TOPICS, 'verify', 8_000))
    expect(second.sink.stats().recordsArchived).toBe(8_000 - first.sink.stats().recordsArchived)
    await bus.close()
  })

  it('rebuilds the very object a crash left unwritten after its checkpoint', async () => {
    const bus = await freshBus()
    const files = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 4_000, START_MS))
    // The process "dies" between writing a checkpoint (the intent) and its object.
    let objectPuts = 0
    let lostKey: string | undefined
    const crashing: ObjectStore = {
      ...files,
      async put(key, bytes) {
        if (parseObjectKey(key) && ++objectPuts === 5) {
          lostKey = key
          throw new StreamwatchError('internal', 'simulated crash before the object put')
        }
        return files.put(key, bytes)
      },
    }
    const crashed = startSink(bus, crashing)
    await expect(crashed.running).rejects.toThrow('simulated crash')
    const [topic, partition] = lostKey!.split('/').pop()!.split('+')
    const checkpoint = decodeCheckpoint(
      Buffer.from((await files.get(checkpointKey(topic!, Number(partition))))!).toString(),
      topic!,
      Number(partition),
    )
    expect(checkpoint).toMatchObject({ ok: true, checkpoint: { pending: { key: lostKey } } })
    expect(await files.head(lostKey!)).toBeUndefined()

    // Smaller objects this time: the pending one must still be rebuilt with its original range.
    const restarted = startSink(bus, files, { maxObjectRecords: 100 })
    await waitUntil('all is archived', async () => (await countLakeOffsets(files)) === 4_000, 30_000)
    await restarted.stop()
    expect(await files.head(lostKey!)).toBeDefined()
    expectExactlyOnce(await readLake(files), await readBus(bus, TOPICS, 'verify', 4_000))
    await bus.close()
  })

  it('hands partitions over between two sinks of one group without a repeat or a gap', async () => {
    const bus = await freshBus()
    const store = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 4_000, START_MS))
    const a = startSink(bus, store)
    await waitUntil('a has stored some', async () => (await countLakeOffsets(store)) >= 1_000, 30_000)
    const b = startSink(bus, store)
    await publishAll(bus, makeTestRecords(TOPICS, 4_000, START_MS + 3_600_000))
    await waitUntil('a quarter more is stored', async () => (await countLakeOffsets(store)) >= 5_000, 30_000)
    await a.stop()
    await waitUntil('all is archived', async () => (await countLakeOffsets(store)) === 8_000, 30_000)
    await b.stop()
    expectExactlyOnce(await readLake(store), await readBus(bus, TOPICS, 'verify', 8_000))
    await bus.close()
  })

  it('pauses while the store fails, retries, then completes; commits nothing ahead', async () => {
    const bus = await freshBus()
    const files = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 20_000, START_MS))
    let down = false
    let failedPuts = 0
    const flaky: ObjectStore = {
      ...files,
      async put(key, bytes) {
        if (down) {
          failedPuts++
          throw new StreamwatchError('store_unavailable', 'simulated outage', { retriable: true })
        }
        return files.put(key, bytes)
      },
    }
    const aheadOfStore: string[] = []
    const maxBufferedBytes = 256 * 1024
    const run = startSink(checkingCommits(bus, files, aheadOfStore), flaky, { maxBufferedBytes })
    await waitUntil('some is stored', async () => (await countLakeOffsets(files)) >= 2_000, 30_000)
    down = true
    await new Promise((resolve) => setTimeout(resolve, 700))
    const early = run.sink.stats()
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const late = run.sink.stats()
    // Stopped fetching, with bounded buffers: nothing came in while it waited for the store.
    expect(late.recordsReceived).toBe(early.recordsReceived)
    expect(late.recordsReceived).toBeLessThan(20_000)
    expect(late.bufferedRecords * 200).toBeLessThanOrEqual(maxBufferedBytes + 500 * 400)
    down = false
    await waitUntil('all is archived', async () => (await countLakeOffsets(files)) === 20_000, 30_000)
    await run.stop()
    expect(failedPuts).toBeGreaterThan(1)
    expect(run.sink.stats().storeRetries).toBe(failedPuts)
    expect(await run.counted('errors', 'store_unavailable')).toBe(failedPuts)
    expect(await run.counted('eventsWritten')).toBe(20_000)
    expect(aheadOfStore).toEqual([])
    expectExactlyOnce(await readLake(files), await readBus(bus, TOPICS, 'verify', 20_000))
    await bus.close()
  })

  it('flushes what it holds when stopped', async () => {
    const bus = await freshBus()
    const store = await freshStore()
    const run = startSink(bus, store, { maxBufferAgeMs: 3_600_000 })
    await publishAll(bus, makeTestRecords(TOPICS, 1_000, START_MS))
    await waitUntil('all is received', async () => run.sink.stats().recordsReceived === 1_000, 30_000)
    expect(await countLakeOffsets(store)).toBeLessThan(1_000)
    await run.stop()
    expect(await countLakeOffsets(store)).toBe(1_000)
    await bus.close()
  })

  it('replays one topic into a fresh topic with keys, values, headers and timestamps intact', async () => {
    const bus = await freshBus()
    const store = await freshStore()
    await publishAll(bus, makeTestRecords(TOPICS, 4_000, START_MS))
    const run = startSink(bus, store)
    await waitUntil('all is archived', async () => (await countLakeOffsets(store)) === 4_000, 30_000)
    await run.stop()
    await bus.ensureTopics(['replayed'], 2)
    const producer = bus.createProducer()
    const summary = await replayLake(
      { store, producer, logger: silentLogger },
      { topics: ['transactions'], toTopic: 'replayed' },
      new AbortController().signal,
    )
    await producer.close()
    expect(summary).toMatchObject({ recordsPublished: 1_000, gaps: 0, duplicatesSkipped: 0, badLines: 0 })
    const original = [...(await readBus(bus, ['transactions'], 'verify-original', 1_000)).values()]
    const replayed = [...(await readBus(bus, ['replayed'], 'verify-replayed', 1_000)).values()]
    const fingerprint = (r: (typeof original)[number]) =>
      JSON.stringify([
        r.key && Buffer.from(r.key).toString('hex'),
        r.value && Buffer.from(r.value).toString('hex'),
        r.timestampMs,
        r.headers.map(([k, v]) => [k, Buffer.from(v).toString('hex')]),
      ])
    expect(replayed.map(fingerprint).sort()).toEqual(original.map(fingerprint).sort())
    // offset order per key is kept
    const byKey = (records: typeof original) => {
      const map = new Map<string, string[]>()
      for (const r of [...records].sort((x, y) => x.offset - y.offset)) {
        const key = r.key ? Buffer.from(r.key).toString() : '(null)'
        map.set(key, [...(map.get(key) ?? []), fingerprint(r)])
      }
      return map
    }
    for (const [key, sequence] of byKey(replayed)) {
      if (key !== '(null)') expect(sequence, key).toEqual(byKey(original).get(key))
    }
    expect(replayed.every((r) => idOf(r).startsWith('replayed+'))).toBe(true)
    await bus.close()
  })
})
