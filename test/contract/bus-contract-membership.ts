// Bus contract, part two: the group and the consumer's life. Hand-over on rebalance, idempotent
// topic creation, empty batches while idle, ending on abort and on close.
import { expect, it } from 'vitest'
import {
  CONTRACT_TEST_TIMEOUT_MS,
  type ContractContext,
  distinctValues,
  expectIncreasingPerKey,
  keyedRecords,
  partitionKey,
  publishInBatches,
  until,
} from './bus-test-helpers.ts'

export function defineMembershipTests(context: ContractContext): void {
  const { unique, consume } = context

  it(
    'hands partitions over on rebalance: the first consumer yields nothing of a partition after its onRevoke returned',
    async () => {
      const bus = context.bus
      const topic = unique('rebalance')
      await bus.ensureTopics([topic], 4)
      const groupId = unique('group')
      // partitions the first consumer lost: after onRevoke returned, none of their records may reach it
      const revokedFromA = new Set<string>()
      const everRevokedFromA = new Set<string>()
      const assignedToB = new Set<string>()
      const violations: string[] = []
      // while set, the first consumer stays in the middle of a batch (uncommitted) before committing it
      let hold: Promise<void> | undefined
      let holding = false
      const a = consume(
        {
          groupId,
          topics: [topic],
          maxBatchRecords: 100,
          onAssign: async (partitions) => {
            for (const p of partitions) revokedFromA.delete(partitionKey(p))
            return undefined
          },
          onRevoke: async (partitions) => {
            for (const p of partitions) {
              revokedFromA.add(partitionKey(p))
              everRevokedFromA.add(partitionKey(p))
            }
          },
        },
        {
          onBatch: async (batch) => {
            for (const r of batch.records) {
              if (revokedFromA.has(partitionKey(r))) violations.push(`${partitionKey(r)}@${r.offset}`)
            }
            if (hold && batch.records.length > 0) {
              holding = true
              await hold
            }
            return undefined
          },
        },
      )

      let published = 0
      let stopPublishing = false
      const publishing = (async () => {
        const producer = bus.createProducer()
        try {
          for (let round = 0; round < 5000 && !stopPublishing; round++) {
            await producer.publish(keyedRecords(topic, { keys: 200, perKey: 1, firstSeq: round }))
            published += 200
            await new Promise((resolve) => setTimeout(resolve, 5)) // a steady stream, not a backlog
          }
        } finally {
          await producer.close()
        }
      })()

      await until(() => a.records.length >= 1000, 'the first consumer to be consuming', { consumers: [a] })
      // the second consumer joins while the first is busy with a batch: it must not get that batch's
      // partitions (and re-read its records) before the first has committed it and let them go
      let release: () => void = () => undefined
      hold = new Promise((resolve) => {
        release = resolve
      })
      await until(() => holding, 'the first consumer to be in the middle of a batch', { consumers: [a] })
      const heldSinceMs = Date.now()
      const b = consume({
        groupId,
        topics: [topic],
        maxBatchRecords: 100,
        onAssign: async (partitions) => {
          for (const p of partitions) assignedToB.add(partitionKey(p))
          return undefined
        },
      })
      // a bounded wait: a Kafka consumer may not yield anything before its join completes
      await until(
        () => b.batches >= 2 || Date.now() - heldSinceMs > 3_000,
        'the second consumer to try to take over',
        {
          consumers: [a, b],
        },
      )
      hold = undefined
      release()
      await until(
        () => everRevokedFromA.size > 0 && b.consumer.assignment().length > 0 && b.records.length >= 1000,
        'the second consumer to take over partitions and consume',
        { consumers: [a, b] },
      )
      stopPublishing = true
      await publishing

      const seen = distinctValues([a, b])
      await until(() => seen() === published, `all ${published} records`, { consumers: [a, b] })
      const finalA = a.consumer.assignment().map(partitionKey)
      const finalB = b.consumer.assignment().map(partitionKey)
      await Promise.all([a.stop(), b.stop()])

      expect(violations).toEqual([])
      expect(finalA.length).toBeGreaterThan(0)
      expect(finalB.length).toBeGreaterThan(0)
      expect(finalA.filter((p) => finalB.includes(p))).toEqual([])
      for (const p of assignedToB) expect(everRevokedFromA).toContain(p)
      // every batch was committed before the next was asked for: the hand-over doubles nothing
      expect(a.records.length + b.records.length).toBe(published)
      expectIncreasingPerKey(a.records)
      expectIncreasingPerKey(b.records)
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'creates topics idempotently and leaves existing topics and their records alone',
    async () => {
      const bus = context.bus
      const topic = unique('idempotent')
      const other = unique('idempotent-other')
      await bus.ensureTopics([topic], 3)
      await bus.ensureTopics([topic], 3)
      await publishInBatches(bus, keyedRecords(topic, { keys: 30, perKey: 1 }), 100)
      await bus.ensureTopics([topic], 5)
      await bus.ensureTopics([topic, other], 3)

      const reader = consume({ groupId: unique('group'), topics: [topic] })
      await until(() => reader.records.length >= 30, 'the records published before', {
        consumers: [reader],
      })
      expect(
        reader.consumer
          .assignment()
          .map((p) => p.partition)
          .sort(),
      ).toEqual([0, 1, 2])
      await reader.stop()
      expect(reader.records).toHaveLength(30)
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'yields empty batches while idle, about every maxWaitMs, so the caller can act on time',
    async () => {
      const bus = context.bus
      const topic = unique('idle')
      await bus.ensureTopics([topic], 1)
      const idle = consume({ groupId: unique('group'), topics: [topic], maxWaitMs: 100 })
      await until(() => idle.consumer.assignment().length === 1, 'the assignment', { consumers: [idle] })
      const before = idle.emptyBatches
      await until(() => idle.emptyBatches >= before + 3, 'three empty batches', {
        consumers: [idle],
        timeoutMs: 30_000,
      })
      await idle.stop()
      expect(idle.records).toHaveLength(0)
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )

  it(
    'ends batches() when the signal aborts and when the consumer is closed, even while waiting',
    async () => {
      const bus = context.bus
      const topic = unique('ending')
      await bus.ensureTopics([topic], 1)
      for (const how of ['abort', 'close'] as const) {
        const consumer = bus.createConsumer({
          groupId: unique('group'),
          topics: [topic],
          maxWaitMs: 60_000,
        })
        const controller = new AbortController()
        let ended = false
        const loop = (async () => {
          for await (const _ of consumer.batches(controller.signal)) {
            // nothing is published: the loop waits inside the iterator
          }
          ended = true
        })()
        await until(() => consumer.assignment().length === 1, `the assignment (${how})`)
        if (how === 'abort') controller.abort()
        else await consumer.close()
        await until(() => ended, `batches() to end on ${how}`, { timeoutMs: 30_000 })
        await loop
        await consumer.close()
      }
    },
    CONTRACT_TEST_TIMEOUT_MS,
  )
}
