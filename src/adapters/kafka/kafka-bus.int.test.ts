// The Kafka bus against the real broker (scripts/kafka.sh, 127.0.0.1:9092 unless KAFKA_BROKERS):
// the shared Bus contract, then what only Kafka has: Java-compatible partitioning (checked with
// kcat), commits seen by Kafka's own tools, a bounded fetch, error translation.
import { execFileSync, spawnSync } from 'node:child_process'
import { Admin, consumerFetchesChannel } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeBusContract } from '../../../test/contract/bus-contract.ts'
import { startConsumer, text, until } from '../../../test/contract/bus-test-helpers.ts'
import { StreamwatchError } from '../../errors.ts'
import type { Bus, RawRecord } from '../../pipelines/ports.ts'
import { createKafkaBus, type KafkaBusOptions } from './kafka-bus.ts'

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',')
const runId = `${Date.now().toString(36)}-${process.pid}`
let made = 0

interface FetchResponseLike {
  responses: { partitions: { records?: { records: unknown[] }[] | null }[] }[]
}

/** Deletes every topic whose name starts with `prefix`. */
async function deleteTopics(prefix: string): Promise<void> {
  const admin = new Admin({ clientId: 'kafka-bus-test-cleanup', bootstrapBrokers: brokers })
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.close()
  }
}

/** A bus with test-friendly timings (a rebalance is noticed within a heartbeat). */
function makeTestBus(overrides: Partial<KafkaBusOptions> = {}): Bus {
  return createKafkaBus({
    brokers,
    clientId: 'kafka-bus-test',
    heartbeatIntervalMs: 500,
    sessionTimeoutMs: 10_000,
    ...overrides,
  })
}

describeBusContract('kafka', async () => {
  const topicPrefix = `sw-test.${runId}.${++made}.`
  const bus = makeTestBus()
  return {
    bus,
    topicPrefix,
    async cleanup() {
      await bus.close()
      await deleteTopics(topicPrefix)
    },
  }
})

describe('kafka bus: Kafka specifics', () => {
  const prefix = `sw-test.${runId}.specifics.`
  let bus: Bus

  beforeAll(() => {
    bus = makeTestBus()
  })

  afterAll(async () => {
    await bus.close()
    await deleteTopics(prefix)
  })

  it('places each key in the partition Kafka Java clients choose (murmur2), as kcat does', async () => {
    const ours = `${prefix}partitioner-ours`
    const theirs = `${prefix}partitioner-kcat`
    await bus.ensureTopics([ours, theirs], 7)
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`)
    const producer = bus.createProducer()
    await producer.publish(keys.map((key) => ({ topic: ours, key, value: key })))
    await producer.close()
    execFileSync('kcat', ['-b', brokers[0]!, '-P', '-t', theirs, '-K', ':', '-X', 'partitioner=murmur2'], {
      input: `${keys.map((k) => `${k}:${k}`).join('\n')}\n`,
    })
    const partitionOf = (topic: string) => {
      const out = execFileSync('kcat', ['-b', brokers[0]!, '-C', '-t', topic, '-e', '-q', '-f', '%k %p\\n'], {
        encoding: 'utf8',
      })
      return new Map(
        out
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      )
    }
    const expected = partitionOf(theirs)
    expect(expected.size).toBe(keys.length)
    expect(new Set(expected.values()).size).toBe(7)
    expect(partitionOf(ours)).toEqual(expected)
  })

  it('commits exactly the offsets given, as Kafka’s consumer-groups tool reports them, and nothing on its own', async () => {
    const topic = `${prefix}commits`
    await bus.ensureTopics([topic], 2)
    const producer = bus.createProducer()
    await producer.publish(Array.from({ length: 50 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })))
    await producer.close()
    const groupId = `${prefix}commits-group`
    const reader = startConsumer(bus, { groupId, topics: [topic] }, { commit: false })
    await until(() => reader.records.length >= 50, '50 records', { consumers: [reader] })
    const onP0 = reader.records.filter((r) => r.partition === 0)
    expect(onP0.length).toBeGreaterThan(3)
    await reader.consumer.commit([{ topic, partition: 0, offset: onP0[2]!.offset + 1 }])
    await reader.stop()

    const described = spawnSync(
      'bash',
      [
        'scripts/kafka.sh',
        'tool',
        'consumer-groups',
        '--bootstrap-server',
        brokers[0]!,
        '--describe',
        '--group',
        groupId,
      ],
      { encoding: 'utf8' },
    )
    expect(described.status).toBe(0)
    const rows = described.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1] === topic)
      .map((cols) => `${cols[2]}:${cols[3]}`)
    // partition 0 at exactly the given offset; partition 1, read as well, has no commit at all
    expect(rows).toEqual([`0:${onP0[2]!.offset + 1}`])
  })

  it('fetches only when asked for a batch, at most fetchMaxBytes at a time', async () => {
    const topic = `${prefix}bounded`
    await bus.ensureTopics([topic], 1)
    const producer = bus.createProducer()
    const value = 'x'.repeat(1000)
    // small publishes make small record batches: the broker may exceed fetchMaxBytes by one batch only
    for (let i = 0; i < 200; i++) {
      await producer.publish(
        Array.from({ length: 10 }, (_, j) => ({ topic, key: null, value: `${i}-${j}-${value}` })),
      )
    }
    await producer.close()

    // Count what the client fetches, through its own diagnostics channel.
    let fetches = 0
    let recordsFetched = 0
    const clientId = `kafka-bus-test-bounded-${prefix}bounded-group`
    const handlers = {
      asyncStart(context: { client?: { clientId?: string }; result?: FetchResponseLike }) {
        if (context.client?.clientId !== clientId) return
        fetches++
        for (const t of context.result?.responses ?? []) {
          for (const p of t.partitions) for (const b of p.records ?? []) recordsFetched += b.records.length
        }
      },
    }
    consumerFetchesChannel.subscribe(handlers as never)
    const small = makeTestBus({ clientId: 'kafka-bus-test-bounded', fetchMaxBytes: 64 * 1024 })
    try {
      const consumer = small.createConsumer({
        groupId: `${prefix}bounded-group`,
        topics: [topic],
        maxBatchRecords: 10,
        maxBatchBytes: 16 * 1024,
      })
      const controller = new AbortController()
      const iterator = consumer.batches(controller.signal)[Symbol.asyncIterator]()
      let first: RawRecord[] = []
      while (first.length === 0) first = (await iterator.next()).value!.records
      const fetchesThen = fetches
      const fetchedThen = recordsFetched
      await new Promise((resolve) => setTimeout(resolve, 1500)) // the caller "works" on its batch
      expect(fetches).toBe(fetchesThen)
      expect(recordsFetched).toBe(fetchedThen)
      expect(fetchedThen).toBeGreaterThanOrEqual(10)
      expect(fetchedThen).toBeLessThan(64 + 2 * 10)

      const all = [...first]
      while (all.length < 2000) all.push(...(await iterator.next()).value!.records)
      expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
      expect(recordsFetched).toBeLessThan(2000 + 64 + 2 * 10)
      controller.abort()
      await iterator.return?.(undefined)
      await consumer.close()
    } finally {
      consumerFetchesChannel.unsubscribe(handlers as never)
      await small.close()
    }
  })

  it('lets a slow caller finish and commit its batch before a rebalance takes its partitions', async () => {
    const topic = `${prefix}slow-handover`
    await bus.ensureTopics([topic], 2)
    const producer = bus.createProducer()
    await producer.publish(
      Array.from({ length: 400 }, (_, i) => ({ topic, key: `k${i % 40}`, value: `v${i}` })),
    )
    await producer.close()
    const groupId = `${prefix}slow-handover-group`
    const events: string[] = []
    let slowBatchSeen = false
    const a = startConsumer(
      bus,
      {
        groupId,
        topics: [topic],
        maxBatchRecords: 20,
        onRevoke: async () => {
          events.push('a: onRevoke')
        },
      },
      {
        onBatch: async (batch) => {
          if (batch.records.length === 0 || slowBatchSeen) return undefined
          slowBatchSeen = true
          events.push('a: slow batch begins')
          await new Promise((resolve) => setTimeout(resolve, 3000)) // a slow store, under half the session timeout
          events.push('a: slow batch stored')
          return undefined
        },
      },
    )
    await until(() => slowBatchSeen, 'the first consumer to hold its first batch', { consumers: [a] })
    const b = startConsumer(bus, { groupId, topics: [topic], maxBatchRecords: 20 })
    await until(() => b.records.length > 0, 'the second consumer to get records', { consumers: [a, b] })
    await until(
      () => new Set([...a.records, ...b.records].map((r) => text(r.value))).size === 400,
      'all records',
      {
        consumers: [a, b],
      },
    )
    await Promise.all([a.stop(), b.stop()])
    expect(events.slice(0, 3)).toEqual(['a: slow batch begins', 'a: slow batch stored', 'a: onRevoke'])
    expect(a.records.length + b.records.length).toBe(400) // nothing redelivered
  })

  it('rejects a publish the broker cannot take with a non-retriable bus_unavailable error', async () => {
    const topic = `${prefix}too-big`
    await bus.ensureTopics([topic], 1)
    const producer = bus.createProducer()
    const error = await producer
      .publish([{ topic, key: 'k', value: new Uint8Array(2 * 1024 * 1024) }])
      .catch((e: unknown) => e)
    await producer.close()
    expect(error).toBeInstanceOf(StreamwatchError)
    expect((error as StreamwatchError).code).toBe('bus_unavailable')
    expect((error as StreamwatchError).retriable).toBe(false)
    expect((error as StreamwatchError).message).toMatch(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
  })

  it('rejects a publish to an unreachable broker with a retriable bus_unavailable error', async () => {
    const down = createKafkaBus({
      brokers: ['127.0.0.1:1'],
      clientId: 'kafka-bus-test-down',
      retries: 2,
      retryDelayMs: 50,
    })
    const error = await down
      .createProducer()
      .publish([{ topic: `${prefix}nowhere`, key: 'k', value: 'v' }])
      .catch((e: unknown) => e)
    await down.close()
    expect(error).toBeInstanceOf(StreamwatchError)
    expect((error as StreamwatchError).code).toBe('bus_unavailable')
    expect((error as StreamwatchError).retriable).toBe(true)
  })

  it('reads values as they were written, including records produced by another client (kcat)', async () => {
    const topic = `${prefix}foreign`
    await bus.ensureTopics([topic], 1)
    execFileSync(
      'kcat',
      ['-b', brokers[0]!, '-P', '-t', topic, '-K', ':', '-H', 'origin=kcat', '-z', 'gzip'],
      {
        input: 'a:first\nb:second\n',
      },
    )
    const reader = startConsumer(bus, { groupId: `${prefix}foreign-group`, topics: [topic] })
    await until(() => reader.records.length >= 2, 'the kcat records', { consumers: [reader] })
    await reader.stop()
    expect(
      reader.records.map((r) => [text(r.key), text(r.value), r.headers.map(([n, v]) => `${n}=${text(v)}`)]),
    ).toEqual([
      ['a', 'first', ['origin=kcat']],
      ['b', 'second', ['origin=kcat']],
    ])
  })
})
