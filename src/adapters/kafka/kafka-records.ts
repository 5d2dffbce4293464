// Pure conversions between the port's records and @platformatic/kafka's wire shapes, and the
// partitioner. No I/O here, so every rule is unit-tested with plain values.
import { type MessageToProduce, murmur2, type RecordsBatch } from '@platformatic/kafka'
import type { OutgoingRecord, RawRecord } from '../../pipelines/ports.ts'

/** Record batch attribute bits (Kafka's RecordBatch format v2). */
const TIMESTAMP_TYPE_LOG_APPEND = 0x08
const IS_CONTROL_BATCH = 0x20

export type ProducerMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>

/** A view of the same bytes as a Buffer (the client's type); no copy. */
export function toBuffer(bytes: string | Uint8Array): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8')
  if (Buffer.isBuffer(bytes)) return bytes
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** `nowMs` is the timestamp of records that carry none (the port: "defaults to now"). */
export function toProducerMessage(record: OutgoingRecord, nowMs: number): ProducerMessage {
  const message: ProducerMessage = {
    topic: record.topic,
    value: toBuffer(record.value),
    timestamp: BigInt(Math.trunc(record.timestampMs ?? nowMs)),
  }
  if (record.key !== null) message.key = toBuffer(record.key)
  if (record.headers) {
    const headers = new Map<Buffer, Buffer>()
    for (const name in record.headers) headers.set(toBuffer(name), toBuffer(record.headers[name]!))
    message.headers = headers
  }
  return message
}

/** Bytes a record takes in a produce request, roughly (record overhead ~ 20 bytes). */
export function estimateRecordBytes(message: ProducerMessage): number {
  let bytes = 20 + (message.value?.byteLength ?? 0) + (message.key?.byteLength ?? 0)
  if (message.headers instanceof Map) {
    for (const [name, value] of message.headers) bytes += 4 + name.byteLength + value.byteLength
  }
  return bytes
}

/**
 * Record timestamps are written as deltas from the first record of a partition's batch, and
 * @platformatic/dynamic-buffer 0.3.1 encodes those 64-bit varints as 32-bit ones: a delta beyond
 * ±2^31 ms (~24.8 days) comes out as garbage. Records whose timestamps spread wider go in separate
 * requests.
 */
export const MAX_TIMESTAMP_SPREAD_MS = 2 ** 31 - 1

/**
 * Splits a batch into chunks sent one request each, in order, each at least one record: at most
 * `maxChunkBytes` (the broker refuses a partition's record batch above `max.message.bytes`, 1 MiB
 * by default, and the client writes one record batch per partition per request) and timestamps at
 * most MAX_TIMESTAMP_SPREAD_MS apart.
 */
export function chunkMessages(
  messages: readonly ProducerMessage[],
  maxChunkBytes: number,
): ProducerMessage[][] {
  const chunks: ProducerMessage[][] = []
  let chunk: ProducerMessage[] = []
  let chunkBytes = 0
  let minMs = 0
  let maxMs = 0
  for (const message of messages) {
    const bytes = estimateRecordBytes(message)
    const ms = Number(message.timestamp)
    const spreadMs = Math.max(maxMs, ms) - Math.min(minMs, ms)
    if (chunk.length > 0 && (chunkBytes + bytes > maxChunkBytes || spreadMs > MAX_TIMESTAMP_SPREAD_MS)) {
      chunks.push(chunk)
      chunk = []
      chunkBytes = 0
    }
    if (chunk.length === 0) minMs = maxMs = ms
    chunk.push(message)
    chunkBytes += bytes
    minMs = Math.min(minMs, ms)
    maxMs = Math.max(maxMs, ms)
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

/**
 * Kafka's default partitioner for keyed records, as the Java client computes it:
 * `(murmur2(key) & 0x7fffffff) % partitions`. @platformatic/kafka's own default uses
 * `murmur2(key) >>> 0`, which puts about half of the keys in a different partition than Java
 * clients, kcat (`-X partitioner=murmur2`) or Kafka Streams would; and it sends every keyless
 * record to partition 0. This one spreads keyless records round-robin per topic. The client takes
 * the result modulo the topic's partition count.
 */
export function createJavaCompatiblePartitioner(): (
  message: ProducerMessage,
  key: Buffer | undefined,
) => number {
  const nextByTopic = new Map<string, number>()
  return (message, key) => {
    if (key !== undefined) return murmur2(key) & 0x7fffffff
    const next = nextByTopic.get(message.topic) ?? 0
    nextByTopic.set(message.topic, (next + 1) % 0x7fffffff)
    return next
  }
}

/**
 * Appends the records of one partition's fetched batches to `out`, skipping control batches and
 * records before `fromOffset` (the broker returns whole batches, so the first one may start
 * earlier than asked). Returns the offset after the last batch: where the next fetch starts, which
 * may lie past the last appended record (control records, compacted gaps).
 */
export function appendRawRecords(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  fromOffset: number,
  out: RawRecord[],
): number {
  let nextOffset = fromOffset
  for (const batch of batches) {
    const firstOffset = Number(batch.firstOffset)
    nextOffset = Math.max(nextOffset, firstOffset + batch.lastOffsetDelta + 1)
    if ((batch.attributes & IS_CONTROL_BATCH) !== 0) continue
    const logAppendTime = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0
    const firstTimestampMs = Number(batch.firstTimestamp)
    const maxTimestampMs = Number(batch.maxTimestamp)
    for (const record of batch.records) {
      const offset = firstOffset + record.offsetDelta
      if (offset < fromOffset) continue
      let headers: RawRecord['headers'] = NO_HEADERS
      if (record.headers.length > 0) {
        const list: [string, Uint8Array][] = []
        for (const [name, value] of record.headers)
          list.push([name === null ? '' : name.toString('utf8'), value ?? EMPTY])
        headers = list
      }
      out.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        timestampMs: logAppendTime ? maxTimestampMs : firstTimestampMs + Number(record.timestampDelta),
        headers,
      })
    }
  }
  return nextOffset
}

const EMPTY = new Uint8Array(0)
/** shared by every record without headers: one allocation less per record */
const NO_HEADERS: RawRecord['headers'] = Object.freeze([])

/** Bytes of a record as the batch limits count them: key + value + headers. */
export function rawRecordBytes(record: RawRecord): number {
  let bytes = (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0)
  for (const [name, value] of record.headers) bytes += name.length + value.byteLength
  return bytes
}
