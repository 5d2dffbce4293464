// BusProducer on @platformatic/kafka: idempotent (so the client's own retries never double a
// record), acks=all, Java-compatible key partitioning, big batches sent in bounded chunks.
import { Producer } from '@platformatic/kafka'
import { StreamwatchError } from '../../errors.ts'
import type { Logger } from '../../observability/logger.ts'
import type { BusProducer, OutgoingRecord } from '../../pipelines/ports.ts'
import { toBusError } from './kafka-errors.ts'
import { chunkMessages, createJavaCompatiblePartitioner, toProducerMessage } from './kafka-records.ts'

export interface KafkaProducerSettings {
  brokers: string[]
  clientId: string
  logger: Logger
  /** attempts of one request after the first, with `retryDelayMs` between them, before publish rejects */
  retries: number
  retryDelayMs: number
  /** broker-side wait for the replicas' acks, and the client's wait for a connection */
  requestTimeoutMs: number
  /** upper bound of one produce request; below the broker's max.message.bytes (1 MiB by default) */
  maxRequestBytes: number
}

export function createKafkaProducer(settings: KafkaProducerSettings): BusProducer {
  const client = new Producer({
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    idempotent: true,
    // The client turns retries <= 1 into "retry forever" for idempotent producers: ask for at least 2.
    retries: Math.max(2, settings.retries),
    retryDelay: settings.retryDelayMs,
    timeout: settings.requestTimeoutMs,
    connectTimeout: settings.requestTimeoutMs,
    partitioner: createJavaCompatiblePartitioner(),
  })
  const logger = settings.logger.child({ stage: 'kafka-producer' })
  let closed = false
  // Publishes run one after another: a later batch never overtakes an earlier one, so order per
  // key holds across calls, and a failed chunk stops the batch before the chunks after it.
  let tail: Promise<unknown> = Promise.resolve()

  async function sendAll(records: readonly OutgoingRecord[]): Promise<void> {
    const nowMs = Date.now()
    const messages = records.map((record) => toProducerMessage(record, nowMs))
    for (const chunk of chunkMessages(messages, settings.maxRequestBytes)) {
      try {
        await client.send({ messages: chunk })
      } catch (error) {
        const busError = toBusError(`publish ${chunk.length} records to ${topicsOf(records)}`, error)
        logger.warn({ err: busError, retriable: busError.retriable }, 'publish failed')
        throw busError
      }
    }
  }

  return {
    publish(records) {
      if (closed)
        return Promise.reject(new StreamwatchError('bus_unavailable', 'kafka: the producer is closed'))
      if (records.length === 0) return Promise.resolve()
      const result = tail.then(() => sendAll(records))
      tail = result.catch(() => undefined)
      return result
    },
    async close() {
      if (closed) return
      closed = true
      await tail
      await client.close()
    },
  }
}

function topicsOf(records: readonly OutgoingRecord[]): string {
  return [...new Set(records.map((r) => r.topic))].join(', ')
}
