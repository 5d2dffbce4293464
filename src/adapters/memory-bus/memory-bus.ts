// The in-memory bus: the embedded default when KAFKA_BROKERS is unset, for one process. It behaves
// like Kafka where the pipelines can tell: keyed partitioning (Kafka's murmur2), offsets that grow
// by one per partition, consumer groups with cooperative rebalancing, committed offsets, at-least-
// once redelivery of what was not committed, and pull-based batches.
//
// What differs, on purpose:
// - Not durable: records live in this process's memory and vanish with it; `publish` resolves
//   once they are appended. Committed group offsets vanish too (keep yours with your data).
// - Offsets survive restarts in one way only: with `stateDir`, offsets are reserved in blocks
//   (offset-reservations.ts) so a new run's offsets are above any earlier run's, and offsets stored
//   elsewhere never point into the new run's records.
// - Retention is a count per partition and bounds memory: records every group that ever subscribed
//   to the topic has committed past are forgotten (all but `keepCommittedRecords` at commit time,
//   all of them when the partition is full); when a partition is full of records some group still
//   needs, `publish` waits for commits (backpressure) instead of growing. A group is never
//   forgotten, so a group that stops committing for good eventually stops the topic's producers:
//   don't make throwaway groups on this bus. A topic no group has ever subscribed to drops its
//   oldest records instead, like Kafka's retention, counted in `stats()`.
// - Records are shared, not copied, between readers: keys and values handed out are views of the
//   bus's memory, the same for every group. Treat them as read-only.
// - A start offset below the earliest retained record, or above the end, is clamped to it (like
//   auto.offset.reset), since a restart leaves nothing below the new run's first offset.
import { StreamwatchError } from '../../errors.ts'
import type { Bus, BusConsumer, BusProducer, ConsumerOptions } from '../../pipelines/ports.ts'
import { type ConsumerGroup, createConsumerGroup } from './consumer-group.ts'
import { createMemoryBroker, type TopicStats } from './memory-broker.ts'
import { createMemoryConsumer } from './memory-consumer.ts'
import { loadOffsetReservations } from './offset-reservations.ts'

export type { TopicStats } from './memory-broker.ts'

export interface MemoryBusOptions {
  /** partitions of a topic created by publishing to it (ensureTopics says its own); default 4 */
  defaultPartitions?: number
  /** records kept per partition at most; default 200,000 */
  retentionRecords?: number
  /**
   * Records that every subscribed group has committed past, kept per partition (while there is
   * room) for a group that subscribes later; default 10,000. Older committed records are forgotten
   * at commit time, so memory follows consumer lag rather than staying at retentionRecords.
   */
  keepCommittedRecords?: number
  /** where offset reservations are kept across restarts; unset: offsets start at 0 in every run */
  stateDir?: string
  /** offsets reserved per write of the state file; default 1,000,000 */
  offsetBlockRecords?: number
}

export interface MemoryBusStats {
  /** full topic name -> counters since this bus started */
  topics: Record<string, TopicStats>
}

export interface MemoryBus extends Bus {
  stats(): MemoryBusStats
}

export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const settings = {
    defaultPartitions: positive('defaultPartitions', options.defaultPartitions ?? 4),
    retentionRecords: positive('retentionRecords', options.retentionRecords ?? 200_000),
    keepCommittedRecords: Math.max(0, options.keepCommittedRecords ?? 10_000),
    offsetBlockRecords: positive('offsetBlockRecords', options.offsetBlockRecords ?? 1_000_000),
  }
  const reservations = options.stateDir === undefined ? undefined : loadOffsetReservations(options.stateDir)
  const broker = createMemoryBroker({ ...settings, reservations })
  const groups = new Map<string, ConsumerGroup>()
  const consumers = new Set<BusConsumer>()
  const producers = new Set<BusProducer>()
  let nextMemberId = 1
  let closed = false

  // a group subscribed to a topic that did not exist yet gets its partitions now
  broker.onTopicCreated(() => {
    for (const group of groups.values()) group.rebalance()
  })

  function assertOpen(): void {
    if (closed) throw new StreamwatchError('bus_unavailable', 'memory bus: closed')
  }

  return {
    async ensureTopics(topics, partitions) {
      assertOpen()
      positive('partitions', partitions)
      await Promise.all(topics.map((topic) => broker.ensureTopic(topic, partitions)))
    },

    createProducer() {
      assertOpen()
      let producerClosed = false
      const producer: BusProducer = {
        async publish(records) {
          if (producerClosed) throw new StreamwatchError('bus_unavailable', 'memory bus: producer is closed')
          await broker.publish(records)
        },
        async close() {
          producerClosed = true
          producers.delete(producer)
        },
      }
      producers.add(producer)
      return producer
    },

    createConsumer(consumerOptions: ConsumerOptions) {
      assertOpen()
      let group = groups.get(consumerOptions.groupId)
      if (!group) {
        group = createConsumerGroup(consumerOptions.groupId, broker)
        groups.set(consumerOptions.groupId, group)
      }
      const consumer = createMemoryConsumer({
        options: consumerOptions,
        group,
        memberId: nextMemberId++,
        onClosed: () => consumers.delete(consumer),
      })
      consumers.add(consumer)
      return consumer
    },

    async offsetRanges(topics) {
      assertOpen()
      return [...new Set(topics)].flatMap((topic) =>
        (broker.partitionsOf(topic) ?? []).map((p) => ({
          topic,
          partition: p.partition,
          start: p.log.startOffset,
          end: p.log.endOffset,
        })),
      )
    },

    stats() {
      return { topics: broker.stats() }
    },

    async close() {
      if (closed) return
      closed = true
      broker.close()
      await Promise.allSettled([...consumers].map((c) => c.close()))
      await Promise.allSettled([...producers].map((p) => p.close()))
      await reservations?.close()
    },
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new StreamwatchError(
      'invalid_input',
      `memory bus: ${name} must be a whole number >= 1, got ${value}`,
    )
  }
  return value
}
