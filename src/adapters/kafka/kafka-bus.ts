// The Bus port on Apache Kafka, through @platformatic/kafka (docs/decisions/0001-kafka-client.md).
import { Admin, ListOffsetTimestamps } from '@platformatic/kafka'
import { StreamwatchError } from '../../errors.ts'
import { type Logger, silentLogger } from '../../observability/logger.ts'
import type { Bus, BusConsumer, BusProducer, PartitionRange } from '../../pipelines/ports.ts'
import { createKafkaConsumer, type KafkaConsumerSettings } from './kafka-consumer.ts'
import { hasKafkaApiId, toBusError } from './kafka-errors.ts'
import { createKafkaProducer } from './kafka-producer.ts'

export interface KafkaBusOptions {
  /** bootstrap servers, `host:port` */
  brokers: string[]
  clientId: string
  logger?: Logger
  /** replication factor of topics created by ensureTopics; default 1 */
  replicationFactor?: number
  /** retries of one request after the first, before an operation fails; default 5 */
  retries?: number
  /** pause between those retries; default 500 */
  retryDelayMs?: number
  /** wait for a connection, a broker answer, or the replicas' acks; default 10 000 */
  requestTimeoutMs?: number
  /** a consumer silent for this long is expelled from its group; default 30 000 */
  sessionTimeoutMs?: number
  /** also how soon a consumer notices a rebalance; default 3 000 */
  heartbeatIntervalMs?: number
  /** how long the group waits for its members to rejoin in a rebalance; default 60 000 */
  rebalanceTimeoutMs?: number
  /** bound of one produce request; default 900 KiB, under the broker's max.message.bytes of 1 MiB */
  maxRequestBytes?: number
  /** most bytes one consumer fetch brings in, so most it holds beyond the batch in flight; default 4 MiB */
  fetchMaxBytes?: number
  /** how long ensureTopics waits for new topics to show in the metadata; default 30 000 */
  topicReadyTimeoutMs?: number
}

export function createKafkaBus(options: KafkaBusOptions): Bus {
  const logger = (options.logger ?? silentLogger).child({ component: 'kafka' })
  const retries = options.retries ?? 5
  const retryDelayMs = options.retryDelayMs ?? 500
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000
  const consumerSettings: KafkaConsumerSettings = {
    brokers: options.brokers,
    clientId: options.clientId,
    logger,
    retries,
    retryDelayMs,
    requestTimeoutMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    fetchMaxBytes: options.fetchMaxBytes ?? 4 * 1_048_576,
  }
  const producers = new Set<BusProducer>()
  const consumers = new Set<BusConsumer>()
  // kept open for offsetRanges, which the API asks on every /api/stats
  let offsetsAdmin: Admin | undefined
  let closed = false

  function checkOpen(): void {
    if (closed) throw new StreamwatchError('bus_unavailable', 'kafka: the bus is closed')
  }

  function createAdmin(): Admin {
    return new Admin({
      clientId: `${options.clientId}-admin`,
      bootstrapBrokers: options.brokers,
      retries,
      retryDelay: retryDelayMs,
      timeout: requestTimeoutMs,
      connectTimeout: requestTimeoutMs,
    })
  }

  return {
    async ensureTopics(topics, partitions) {
      checkOpen()
      const admin = createAdmin()
      try {
        await ensureTopicsWith(admin, [...new Set(topics)], {
          partitions,
          replicationFactor: options.replicationFactor ?? 1,
          readyTimeoutMs: options.topicReadyTimeoutMs ?? 30_000,
        })
        logger.debug({ topics, partitions }, 'topics ready')
      } catch (error) {
        throw toBusError(`ensure topics ${topics.join(', ')}`, error)
      } finally {
        await admin.close().catch(() => undefined)
      }
    },

    createProducer() {
      checkOpen()
      const producer = createKafkaProducer({
        brokers: options.brokers,
        clientId: `${options.clientId}-producer`,
        logger,
        retries,
        retryDelayMs,
        requestTimeoutMs,
        maxRequestBytes: options.maxRequestBytes ?? 900 * 1024,
      })
      producers.add(producer)
      return {
        publish: (records) => producer.publish(records),
        close: async () => {
          producers.delete(producer)
          await producer.close()
        },
      }
    },

    createConsumer(consumerOptions) {
      checkOpen()
      const consumer = createKafkaConsumer(
        { ...consumerSettings, clientId: `${options.clientId}-${consumerOptions.groupId}` },
        consumerOptions,
      )
      consumers.add(consumer)
      return {
        batches: (signal) => consumer.batches(signal),
        commit: (offsets) => consumer.commit(offsets),
        assignment: () => consumer.assignment(),
        close: async () => {
          consumers.delete(consumer)
          await consumer.close()
        },
      }
    },

    async offsetRanges(topics) {
      checkOpen()
      offsetsAdmin ??= createAdmin()
      try {
        return await listOffsetRanges(offsetsAdmin, [...new Set(topics)])
      } catch (error) {
        throw toBusError(`list offsets of ${topics.join(', ')}`, error)
      }
    },

    async close() {
      if (closed) return
      closed = true
      await offsetsAdmin?.close().catch(() => undefined)
      const results = await Promise.allSettled([...consumers, ...producers].map((part) => part.close()))
      consumers.clear()
      producers.clear()
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw toBusError('close', failed.reason)
    },
  }
}

interface TopicSettings {
  partitions: number
  replicationFactor: number
  readyTimeoutMs: number
}

/**
 * Creates the topics the cluster lacks and waits until the metadata lists them with a leader for
 * every partition, so a producer or consumer started next finds them. A topic created meanwhile by
 * someone else (TOPIC_ALREADY_EXISTS) is fine: it exists, which is all we asked.
 */
async function ensureTopicsWith(admin: Admin, topics: string[], settings: TopicSettings): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((t) => !existing.has(t))
  await Promise.all(
    missing.map(async (topic) => {
      try {
        await admin.createTopics({
          topics: [topic],
          partitions: settings.partitions,
          replicas: settings.replicationFactor,
        })
      } catch (error) {
        if (!hasKafkaApiId(error, 'TOPIC_ALREADY_EXISTS')) throw error
      }
    }),
  )
  const deadline = Date.now() + settings.readyTimeoutMs
  for (;;) {
    const pending = await topicsWithoutLeaders(admin, topics)
    if (pending.length === 0) return
    if (Date.now() > deadline) {
      throw new StreamwatchError(
        'bus_unavailable',
        `kafka: topics not ready after creation: ${pending.join(', ')}`,
        {
          retriable: true,
        },
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function topicsWithoutLeaders(admin: Admin, topics: string[]): Promise<string[]> {
  try {
    const metadata = await admin.metadata({ topics, forceUpdate: true })
    return topics.filter((topic) => {
      const partitions = metadata.topics.get(topic)?.partitions
      return !partitions || partitions.length === 0 || partitions.some((p) => p === undefined || p.leader < 0)
    })
  } catch (error) {
    // Right after creation the broker may still answer UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE.
    if (hasKafkaApiId(error, 'UNKNOWN_TOPIC_OR_PARTITION') || hasKafkaApiId(error, 'LEADER_NOT_AVAILABLE')) {
      return topics
    }
    throw error
  }
}

/** The earliest and latest offset of every partition of the topics that exist. */
async function listOffsetRanges(admin: Admin, topics: string[]): Promise<PartitionRange[]> {
  const existing = new Set(await admin.listTopics())
  const present = topics.filter((t) => existing.has(t))
  if (present.length === 0) return []
  const metadata = await admin.metadata({ topics: present })
  const partitionsOf = (topic: string) =>
    (metadata.topics.get(topic)?.partitions ?? []).map((_, index) => index)
  const list = (timestamp: bigint) =>
    admin.listOffsets({
      topics: present.map((name) => ({
        name,
        partitions: partitionsOf(name).map((partitionIndex) => ({ partitionIndex, timestamp })),
      })),
    })
  const [earliest, latest] = await Promise.all([
    list(ListOffsetTimestamps.EARLIEST),
    list(ListOffsetTimestamps.LATEST),
  ])
  const starts = new Map<string, number>()
  for (const topic of earliest) {
    for (const p of topic.partitions) starts.set(`${topic.name}:${p.partitionIndex}`, Number(p.offset))
  }
  return latest.flatMap((topic) =>
    topic.partitions.map((p) => ({
      topic: topic.name,
      partition: p.partitionIndex,
      start: starts.get(`${topic.name}:${p.partitionIndex}`) ?? 0,
      end: Number(p.offset),
    })),
  )
}
