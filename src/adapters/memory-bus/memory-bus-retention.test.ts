// Bounded retention: backpressure while a subscribed group has not committed, trimming of what every
// group committed, and Kafka-like dropping on topics no group ever subscribed to.
import { afterEach, describe, expect, it } from 'vitest'
import { startConsumer, text, until } from '../../../test/contract/bus-test-helpers.ts'
import { StreamwatchError } from '../../errors.ts'
import type { OutgoingRecord, RawRecord } from '../../pipelines/ports.ts'
import { createMemoryBus, type MemoryBus } from './memory-bus.ts'

const records = (topic: string, from: number, count: number, key: string | null = 'k'): OutgoingRecord[] =>
  Array.from({ length: count }, (_, i) => ({ topic, key, value: `v${from + i}` }))

/** Settles-or-not probe for a promise, without waiting for it. */
function track<T>(promise: Promise<T>): { settled: boolean; error: unknown } {
  const state = { settled: false, error: undefined as unknown }
  promise.then(
    () => {
      state.settled = true
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

describe('memory bus retention', () => {
  let bus: MemoryBus
  afterEach(async () => {
    await bus.close()
  })

  /** a group that has subscribed to `topic` (its consumer joined) and read everything, committing nothing */
  async function subscribeWithoutCommitting(topic: string, groupId: string, expected: number) {
    const reader = startConsumer(bus, { groupId, topics: [topic] }, { commit: false })
    await until(() => reader.records.length >= expected, `${expected} records read`, { consumers: [reader] })
    return reader
  }

  it('makes publish wait while a partition is full of records a group still needs, and resumes on commit', async () => {
    bus = createMemoryBus({ retentionRecords: 100, keepCommittedRecords: 0 })
    await bus.ensureTopics(['t'], 1)
    const producer = bus.createProducer()
    await producer.publish(records('t', 0, 50))
    const reader = await subscribeWithoutCommitting('t', 'g', 50)
    await producer.publish(records('t', 50, 50))

    const blocked = track(producer.publish(records('t', 100, 20)))
    await until(() => bus.stats().topics['t']!.waitingPublishes === 1, 'the publish to wait')
    expect(blocked.settled).toBe(false)
    expect(bus.stats().topics['t']).toMatchObject({
      appendedRecords: 100,
      retainedRecords: 100,
      droppedRecords: 0,
    })

    // room for 10: the publish appends 10 and waits again, in order
    await reader.consumer.commit([{ topic: 't', partition: 0, offset: 10 }])
    await until(() => bus.stats().topics['t']!.appendedRecords === 110, '10 more records appended')
    expect(blocked.settled).toBe(false)
    await reader.consumer.commit([{ topic: 't', partition: 0, offset: 60 }])
    await until(() => blocked.settled, 'the publish to finish')
    expect(blocked.error).toBeUndefined()
    expect(bus.stats().topics['t']).toMatchObject({
      appendedRecords: 120,
      trimmedRecords: 60,
      retainedRecords: 60,
      droppedRecords: 0,
      waitingPublishes: 0,
    })
    await until(() => reader.records.length === 120, 'the reader to get the rest')
    expect(reader.records.map((r) => text(r.value))).toEqual(Array.from({ length: 120 }, (_, i) => `v${i}`))
    await reader.stop()
  })

  it('trims only what every group that subscribed has committed past', async () => {
    bus = createMemoryBus({ retentionRecords: 100, keepCommittedRecords: 0 })
    await bus.ensureTopics(['t'], 1)
    const producer = bus.createProducer()
    await producer.publish(records('t', 0, 100))
    const fast = await subscribeWithoutCommitting('t', 'fast', 100)
    const slow = await subscribeWithoutCommitting('t', 'slow', 100)
    await fast.stop()
    await slow.stop()

    const commitAs = async (groupId: string, offset: number) => {
      const consumer = bus.createConsumer({ groupId, topics: ['t'] })
      await consumer.commit([{ topic: 't', partition: 0, offset }])
      await consumer.close()
    }
    await commitAs('fast', 100)
    const blocked = track(producer.publish(records('t', 100, 1)))
    await until(
      () => bus.stats().topics['t']!.waitingPublishes === 1,
      'the publish to wait for the slow group',
    )
    await commitAs('slow', 30)
    await until(() => blocked.settled, 'the publish to finish')
    expect(bus.stats().topics['t']).toMatchObject({ trimmedRecords: 30, retainedRecords: 71 })
  })

  it('keeps keepCommittedRecords committed records for groups that subscribe later', async () => {
    bus = createMemoryBus({ retentionRecords: 1000, keepCommittedRecords: 20 })
    await bus.ensureTopics(['t'], 1)
    await bus.createProducer().publish(records('t', 0, 100))
    const first = startConsumer(bus, { groupId: 'first', topics: ['t'] })
    await until(() => first.records.length === 100, 'the first group to read and commit all')
    await until(() => bus.stats().topics['t']!.retainedRecords === 20, 'the committed records to be trimmed')
    await first.stop()

    const late = startConsumer(bus, { groupId: 'late', topics: ['t'] })
    await until(() => late.records.length === 20, 'the late group to read the history')
    expect(late.records.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i))
    await late.stop()
  })

  it('does not hold up publishes to other partitions or topics while one partition is full', async () => {
    bus = createMemoryBus({ retentionRecords: 10, keepCommittedRecords: 0 })
    await bus.ensureTopics(['full', 'free'], 1)
    const producer = bus.createProducer()
    await producer.publish(records('full', 0, 10))
    await subscribeWithoutCommitting('full', 'g', 10)
    const blocked = track(producer.publish(records('full', 10, 1)))
    await until(() => bus.stats().topics['full']!.waitingPublishes === 1, 'the publish to wait')
    await producer.publish(records('free', 0, 100))
    expect(bus.stats().topics['free']!.appendedRecords).toBe(100)
    expect(blocked.settled).toBe(false)
  })

  it('fails a waiting publish when the bus closes', async () => {
    bus = createMemoryBus({ retentionRecords: 10 })
    await bus.ensureTopics(['t'], 1)
    const producer = bus.createProducer()
    await producer.publish(records('t', 0, 10))
    await subscribeWithoutCommitting('t', 'g', 10)
    const blocked = track(producer.publish(records('t', 10, 1)))
    await until(() => bus.stats().topics['t']!.waitingPublishes === 1, 'the publish to wait')
    await bus.close()
    await until(() => blocked.settled, 'the publish to fail')
    expect(blocked.error).toBeInstanceOf(StreamwatchError)
    expect((blocked.error as StreamwatchError).code).toBe('bus_unavailable')
  })

  it('drops the oldest records, counted, of a topic no group has subscribed to', async () => {
    bus = createMemoryBus({ retentionRecords: 100 })
    await bus.ensureTopics(['unread'], 2)
    await bus.createProducer().publish(records('unread', 0, 500, null))
    expect(bus.stats().topics['unread']).toMatchObject({
      appendedRecords: 500,
      droppedRecords: 300,
      retainedRecords: 200,
      waitingPublishes: 0,
    })
    const reader = startConsumer(bus, { groupId: 'late', topics: ['unread'] })
    await until(() => reader.records.length === 200, 'the retained records')
    await reader.stop()
    const byPartition = (p: number) =>
      reader.records.filter((r: RawRecord) => r.partition === p).map((r) => r.offset)
    // null keys go round robin: 250 per partition, of which the last 100 are kept
    expect(byPartition(0)).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i))
    expect(byPartition(1)).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i))
  })
})
