// Bus contract, part one: what reaches consumers. Exactly once and in order per key across a
// group, redelivery of what was not committed, where reading starts, byte-exact records.
import { expect, it } from 'vitest'
import type { PartitionOffset, RawRecord, TopicPartition } from '../../src/pipelines/ports.ts'
import {
  CONTRACT_TEST_TIMEOUT_MS,
  type ContractContext,
  distinctValues,
  expectIncreasingPerKey,
  keyedRecords,
  keysInSeveralPartitions,
  offsetsByPartition,
  publishInBatches,
  text,
  until,
  utf8,
} from './bus-test-helpers.ts'

export function defineDeliveryTests(context: ContractContext): void {
  const { unique, consume, readAll } = context

  it(
    'delivers 100,000 keyed records exactly once, in order per key, across two consumers of one group',
    async () => {
      const bus = context.bus
      const topic = unique('exactly-once')
      await bus.ensureTopics([topic], 4)
      const groupId = unique('group')
      const a = consume({ groupId, topics: [topic], maxBatchRecords: 1000 })
      const b = consume({ groupId, topics: [topic], maxBatchRecords: 1000 })
      await until(
        () => a.consumer.assignment().length > 0 && b.consumer.assignment().length > 0,
        'both consumers to own partitions',
        { consumers: [a, b] },
      )

      const records = keyedRecords(topic, { keys: 1000, perKey: 100 })
      await publishInBatches(bus, records, 2000)
      const seen = distinctValues([a, b])
      await until(() => seen() === records.length, 'all 100,000 records', { consumers: [a, b] })
      await Promise.all([a.stop(), b.stop()])

      expect(a.records.length + b.records.length).toBe(records.length)
      expect(a.records.length).toBeGreaterThan(0)
      expect(b.records.length).toBeGreaterThan(0)
      expectIncreasingPerKey(a.records)
      expectIncreasingPerKey(b.records)
      expect(keysInSeveralPartitions([...a.records, ...b.records])).toEqual([])
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'redelivers what a closed consumer did not commit to the next consumer of the group, and only that',
    async () => {
      const bus = context.bus
      const topic = unique('redelivery')
      await bus.ensureTopics([topic], 2)
      const records = keyedRecords(topic, { keys: 40, perKey: 3 })
      await publishInBatches(bus, records, 1000)
      const groupId = unique('group')

      const committed: RawRecord[] = []
      const uncommitted: RawRecord[] = []
      const first = consume(
        { groupId, topics: [topic], maxBatchRecords: 5 },
        {
          commit: true,
          onBatch: (batch) => {
            if (batch.records.length === 0) return undefined
            if (committed.length === 0) {
              committed.push(...batch.records) // committed by the loop after this
              return undefined
            }
            uncommitted.push(...batch.records)
            return 'stop'
          },
        },
      )
      await until(() => uncommitted.length > 0, 'a committed and an uncommitted batch', {
        consumers: [first],
      })
      await first.stop()
      expect(committed.length).toBeLessThanOrEqual(5)

      const second = consume({ groupId, topics: [topic] })
      const expected = records.length - committed.length
      await until(() => second.records.length >= expected, `${expected} redelivered records`, {
        consumers: [second],
      })
      await second.stop()
      const committedValues = new Set(committed.map((r) => text(r.value)))
      const redelivered = second.records.map((r) => text(r.value)).sort()
      expect(redelivered).toEqual(
        records
          .map((r) => r.value as string)
          .filter((v) => !committedValues.has(v))
          .sort(),
      )
      for (const r of uncommitted) expect(redelivered).toContain(text(r.value))
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'starts where onAssign says for the partitions it returns, elsewhere at the committed offset or the earliest',
    async () => {
      const bus = context.bus
      const topic = unique('seek')
      await bus.ensureTopics([topic], 3)
      const records = keyedRecords(topic, { keys: 60, perKey: 5 })
      await publishInBatches(bus, records, 1000)
      const offsets = offsetsByPartition(await readAll(topic, records.length))
      expect([...offsets.keys()].sort()).toEqual([0, 1, 2])
      for (const list of offsets.values()) expect(list.length).toBeGreaterThan(8)

      const groupId = unique('group')
      let committedOnce = false
      const committer = consume(
        { groupId, topics: [topic] },
        {
          commit: false,
          onBatch: async () => {
            if (committer.consumer.assignment().length < 3) return undefined
            await committer.consumer.commit([{ topic, partition: 1, offset: offsets.get(1)![4]! }])
            committedOnce = true
            return 'stop'
          },
        },
      )
      await until(() => committedOnce, 'the commit of partition 1', { consumers: [committer] })
      await committer.stop()

      const assigned: TopicPartition[] = []
      const seeker = consume({
        groupId,
        topics: [topic],
        onAssign: async (partitions) => {
          assigned.push(...partitions)
          const seeks: PartitionOffset[] = []
          if (partitions.some((p) => p.partition === 0))
            seeks.push({ topic, partition: 0, offset: offsets.get(0)![7]! })
          return seeks
        },
      })
      const expected = new Map([
        [0, offsets.get(0)!.slice(7)],
        [1, offsets.get(1)!.slice(4)],
        [2, offsets.get(2)!],
      ])
      const total = [...expected.values()].reduce((n, list) => n + list.length, 0)
      await until(() => seeker.records.length >= total, `${total} records from the start offsets`, {
        consumers: [seeker],
      })
      await seeker.stop()
      expect(assigned.map((p) => p.partition).sort()).toEqual([0, 1, 2])
      expect(offsetsByPartition(seeker.records)).toEqual(expected)
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'reports with each batch how many records of each partition are left to hand out, 0 once all are',
    async () => {
      const bus = context.bus
      const topic = unique('lag')
      await bus.ensureTopics([topic], 3)
      const records = keyedRecords(topic, { keys: 30, perKey: 10 })
      await publishInBatches(bus, records, 1000)
      const received = new Map<number, number>()
      /** per batch: by partition, [records received by then, lag reported]; undefined: no report */
      const reports: { byPartition: Map<number, readonly [number, number]> | undefined; records: number }[] =
        []
      const reader = consume(
        { groupId: unique('group'), topics: [topic], maxBatchRecords: 7 },
        {
          onBatch: (batch) => {
            for (const r of batch.records) received.set(r.partition, (received.get(r.partition) ?? 0) + 1)
            const byPartition = batch.lag?.map(
              (p) => [p.partition, [received.get(p.partition) ?? 0, p.records]] as const,
            )
            reports.push({ byPartition: byPartition && new Map(byPartition), records: batch.records.length })
            return undefined
          },
        },
      )
      const caughtUp = (report: (typeof reports)[number] | undefined) =>
        report?.byPartition !== undefined &&
        report.byPartition.size === 3 &&
        [...report.byPartition.values()].every(([, lag]) => lag === 0)
      await until(
        () => reader.records.length >= records.length && caughtUp(reports.at(-1)),
        'every partition caught up',
        { consumers: [reader] },
      )
      await reader.stop()
      const total = new Map(
        [...offsetsByPartition(reader.records)].map(([p, offsets]) => [p, offsets.length]),
      )
      expect(reader.records).toHaveLength(records.length)
      for (const report of reports.filter((r) => r.records > 0)) expect(report.byPartition).toBeDefined()
      // exact, since nothing is published meanwhile: received + left = all, so never 0 too early
      for (const report of reports) {
        for (const [partition, [seen, lag]] of report.byPartition ?? []) {
          expect(seen + lag).toBe(total.get(partition) ?? 0)
        }
      }
      expect(caughtUp(reports.find((r) => r.records > 0))).toBe(false)
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'still reports a partition read to its end as caught up after a rebalance gives it back',
    async () => {
      // Kafka's fetch sessions leave unchanged partitions out of the broker's answers: a consumer
      // that had read everything and got some partitions back in a rebalance must still know.
      const bus = context.bus
      const topic = unique('lag-rebalance')
      await bus.ensureTopics([topic], 4)
      const records = keyedRecords(topic, { keys: 40, perKey: 5 })
      await publishInBatches(bus, records, 1000)
      const groupId = unique('group')
      let lastLag: Map<number, number> | undefined
      const first = consume(
        { groupId, topics: [topic], maxWaitMs: 100 },
        {
          onBatch: (batch) => {
            if (batch.lag !== undefined && batch.lag.length > 0)
              lastLag = new Map(batch.lag.map((p) => [p.partition, p.records]))
            return undefined
          },
        },
      )
      await until(() => first.records.length >= records.length, 'everything read', { consumers: [first] })
      const second = consume({ groupId, topics: [topic], maxWaitMs: 100 })
      await until(
        () => first.consumer.assignment().length > 0 && second.consumer.assignment().length > 0,
        'the partitions shared',
        { consumers: [first, second] },
      )
      const owned = () => first.consumer.assignment().map((tp) => tp.partition)
      await until(
        () =>
          lastLag !== undefined &&
          lastLag.size === owned().length &&
          owned().every((p) => lastLag!.get(p) === 0),
        'the first consumer caught up on what it owns after the rebalance',
        { consumers: [first, second] },
      )
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'keeps a key in one partition and round-trips keys, values, headers and timestamps byte for byte',
    async () => {
      const bus = context.bus
      const topic = unique('fidelity')
      await bus.ensureTopics([topic], 3)
      const producer = bus.createProducer()
      const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']
      const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)
      const binaryKey = Uint8Array.from([0, 255, 1, 128, 0])
      const beforeMs = Date.now()
      for (let round = 0; round < 3; round++) {
        await producer.publish(
          names.map((key) => ({
            topic,
            key,
            value: `${key}#${round}`,
          })),
        )
      }
      await producer.publish([
        {
          topic,
          key: null,
          value: allBytes,
          timestampMs: 1_700_000_000_123,
          headers: { 'trace-id': 'abc-123', ünïcode: 'välue ✓', empty: '' },
        },
        { topic, key: binaryKey, value: new Uint8Array(0), timestampMs: 1_500_000_000_000 },
        { topic, key: 'text', value: 'héllo wörld ✓' },
      ])
      const afterMs = Date.now()
      await producer.close()

      const records = await readAll(topic, 21)
      expect(records).toHaveLength(21)
      const named = records.filter((r) => names.includes(text(r.key) ?? ''))
      expect(named.map((r) => text(r.value)).sort()).toEqual(
        names.flatMap((key) => [0, 1, 2].map((round) => `${key}#${round}`)).sort(),
      )
      expect(keysInSeveralPartitions(named)).toEqual([])

      const binary = records.find((r) => r.value?.length === 256)!
      expect(binary.key).toBeNull()
      expect([...binary.value!]).toEqual([...allBytes])
      expect(binary.timestampMs).toBe(1_700_000_000_123)
      expect(Object.fromEntries(binary.headers.map(([name, value]) => [name, [...value]]))).toEqual({
        'trace-id': [...utf8('abc-123')],
        ünïcode: [...utf8('välue ✓')],
        empty: [],
      })

      const empty = records.find(
        (r) => r.key !== null && r.key.length === binaryKey.length && r.key[1] === 255,
      )!
      expect([...empty.key!]).toEqual([...binaryKey])
      expect(empty.value).not.toBeNull()
      expect(empty.value!.length).toBe(0)
      expect(empty.timestampMs).toBe(1_500_000_000_000)
      expect(empty.headers).toHaveLength(0)

      const unicode = records.find((r) => text(r.key) === 'text')!
      expect(text(unicode.value)).toBe('héllo wörld ✓')
      for (const r of records) {
        expect(r.value).toBeInstanceOf(Uint8Array)
        expect(r.topic).toBe(topic)
        if (r !== binary && r !== empty) {
          expect(r.timestampMs).toBeGreaterThanOrEqual(beforeMs)
          expect(r.timestampMs).toBeLessThanOrEqual(afterMs)
        }
      }
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    "tells each partition's range of offsets: where the log starts and ends, for the topics that exist",
    async () => {
      const bus = context.bus
      const topic = unique('ranges')
      await bus.ensureTopics([topic], 3)
      const empty = await bus.offsetRanges([topic, unique('never-created')])
      expect(empty.map((r) => r.partition).sort()).toEqual([0, 1, 2])
      for (const range of empty) {
        expect(range.topic).toBe(topic)
        expect(range.end).toBe(range.start)
      }

      const records = keyedRecords(topic, { keys: 30, perKey: 5 })
      await publishInBatches(bus, records, 50)
      const offsets = offsetsByPartition(await readAll(topic, records.length))
      const ranges = await bus.offsetRanges([topic, topic])
      expect(ranges).toHaveLength(3)
      for (const range of ranges) {
        const read = offsets.get(range.partition) ?? []
        expect(range.end - range.start).toBe(read.length)
        if (read.length > 0) {
          expect(range.start).toBe(read[0])
          expect(range.end).toBe(read.at(-1)! + 1)
        }
      }
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )
}
