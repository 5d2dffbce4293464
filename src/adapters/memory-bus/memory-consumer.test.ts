// Consumer behaviour of the memory bus beyond the Bus contract: fencing, errors in callbacks,
// closing mid-batch, batch limits, fairness, late topics.
import { afterEach, describe, expect, it } from 'vitest'
import { startConsumer, text, until } from '../../../test/contract/bus-test-helpers.ts'
import type { OutgoingRecord, RecordBatch, TopicPartition } from '../../pipelines/ports.ts'
import { createMemoryBus, type MemoryBus } from './memory-bus.ts'

const records = (
  topic: string,
  count: number,
  key: (i: number) => string | null = () => null,
): OutgoingRecord[] => Array.from({ length: count }, (_, i) => ({ topic, key: key(i), value: `v${i}` }))

describe('memory bus consumers', () => {
  let bus: MemoryBus
  afterEach(async () => {
    await bus.close()
  })

  it('rejects a commit for a partition another member of the group owns', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 1)
    const owner = startConsumer(bus, { groupId: 'g', topics: ['t'] })
    await until(() => owner.consumer.assignment().length === 1, 'the assignment')
    const other = bus.createConsumer({ groupId: 'g', topics: ['t'] })
    await expect(other.commit([{ topic: 't', partition: 0, offset: 5 }])).rejects.toMatchObject({
      code: 'bus_fenced',
    })
    await expect(other.commit([{ topic: 't', partition: 7, offset: 5 }])).rejects.toMatchObject({
      code: 'invalid_input',
    })
    await owner.stop()
    await other.commit([{ topic: 't', partition: 0, offset: 0 }])
  })

  it('refuses a second concurrent batches() on one consumer', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 1)
    const consumer = bus.createConsumer({ groupId: 'g', topics: ['t'], maxWaitMs: 10 })
    const signal = new AbortController().signal
    const first = consumer.batches(signal)[Symbol.asyncIterator]()
    await first.next()
    const second = consumer.batches(signal)[Symbol.asyncIterator]()
    await expect(second.next()).rejects.toMatchObject({ code: 'internal' })
    await first.return?.()
  })

  it('ends the loop with the error of onAssign and gives the partitions to the others', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 2)
    await bus.createProducer().publish(records('t', 20))
    const failing = startConsumer(bus, {
      groupId: 'g',
      topics: ['t'],
      onAssign: async () => {
        throw new Error('store down')
      },
    })
    await until(() => failing.error !== undefined, 'the failure')
    expect((failing.error as Error).message).toBe('store down')
    const healthy = startConsumer(bus, { groupId: 'g', topics: ['t'] })
    await until(() => healthy.records.length === 20, 'every record for the healthy consumer', {
      consumers: [healthy],
    })
    expect(healthy.consumer.assignment()).toHaveLength(2)
    await healthy.stop()
    await failing.stop()
  })

  it('on close during a batch, calls onRevoke (which may still commit) and hands the partitions over', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 1)
    await bus.createProducer().publish(records('t', 10))
    const revoked: TopicPartition[][] = []
    const closing = bus.createConsumer({
      groupId: 'g',
      topics: ['t'],
      maxBatchRecords: 4,
      onRevoke: async (partitions) => {
        revoked.push(partitions)
        await closing.commit([{ topic: 't', partition: 0, offset: 4 }])
      },
    })
    const iterator = closing.batches(new AbortController().signal)[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect((first.value as RecordBatch).records).toHaveLength(4)
    await closing.close() // while "processing" the batch
    expect(revoked).toEqual([[{ topic: 't', partition: 0 }]])
    expect(await iterator.next()).toEqual({ done: true, value: undefined })

    const next = startConsumer(bus, { groupId: 'g', topics: ['t'] })
    await until(() => next.records.length === 6, 'the uncommitted records')
    expect(next.records.map((r) => text(r.value))).toEqual(['v4', 'v5', 'v6', 'v7', 'v8', 'v9'])
    await next.stop()
  })

  it('bounds batches by bytes, yet yields a record larger than maxBatchBytes on its own', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 1)
    await bus.createProducer().publish([
      { topic: 't', key: null, value: 'x'.repeat(100) },
      { topic: 't', key: null, value: 'y'.repeat(30) },
      { topic: 't', key: null, value: 'z'.repeat(30) },
      { topic: 't', key: null, value: 'w'.repeat(30) },
    ])
    const sizes: number[][] = []
    const reader = startConsumer(
      bus,
      { groupId: 'g', topics: ['t'], maxBatchBytes: 64 },
      {
        onBatch: (batch) => {
          if (batch.records.length > 0) sizes.push(batch.records.map((r) => r.value!.length))
          return undefined
        },
      },
    )
    await until(() => reader.records.length === 4, 'all records')
    await reader.stop()
    expect(sizes).toEqual([[100], [30, 30], [30]])
  })

  it('takes turns between backlogged partitions', async () => {
    bus = createMemoryBus()
    await bus.ensureTopics(['t'], 3)
    await bus.createProducer().publish(records('t', 3000))
    const firstPartitions: number[] = []
    const reader = startConsumer(
      bus,
      { groupId: 'g', topics: ['t'], maxBatchRecords: 10 },
      {
        onBatch: (batch) => {
          if (batch.records.length > 0) firstPartitions.push(batch.records[0]!.partition)
          return firstPartitions.length === 6 ? 'stop' : undefined
        },
      },
    )
    await until(() => firstPartitions.length === 6, 'six batches')
    await reader.stop()
    expect(new Set(firstPartitions.slice(0, 3)).size).toBe(3)
  })

  it('gives a group the partitions of a topic created after it subscribed', async () => {
    bus = createMemoryBus({ defaultPartitions: 3 })
    const reader = startConsumer(bus, { groupId: 'g', topics: ['late'] })
    await until(() => reader.batches >= 1, 'an empty batch')
    expect(reader.consumer.assignment()).toEqual([])
    await bus.createProducer().publish(records('late', 30, (i) => `k${i}`))
    await until(() => reader.records.length === 30, 'the records of the new topic', { consumers: [reader] })
    expect(reader.consumer.assignment().map((p) => p.partition)).toEqual([0, 1, 2])
    await reader.stop()
  })
})
