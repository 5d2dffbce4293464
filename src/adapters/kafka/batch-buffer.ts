// The records of the last fetch, handed out as batches within the consumer's limits. It holds at
// most one fetch; the consumer refills it only when it is empty and the caller asks for more.
import type {
  ConsumerOptions,
  PartitionOffset,
  RawRecord,
  RecordBatch,
  TopicPartition,
} from '../../pipelines/ports.ts'
import { rawRecordBytes } from './kafka-records.ts'

export const BATCH_DEFAULTS = { maxBatchRecords: 1000, maxBatchBytes: 1_048_576 } as const

export interface BatchBuffer {
  /** Replaces the content: records in offset order within each partition, partitions one after another. */
  fill(records: RawRecord[]): void
  /**
   * The next batch: at most maxBatchRecords records and maxBatchBytes bytes (but at least one
   * record), skipping records of partitions not in `owned`. Undefined when nothing is left.
   */
  take(owned: ReadonlyMap<string, TopicPartition>): RecordBatch | undefined
  /** How many records of the partition (`topic:partition`) wait to be taken. */
  holding(key: string): number
  clear(): void
}

export function createBatchBuffer(
  options: Pick<ConsumerOptions, 'maxBatchRecords' | 'maxBatchBytes'>,
): BatchBuffer {
  const maxRecords = options.maxBatchRecords ?? BATCH_DEFAULTS.maxBatchRecords
  const maxBytes = options.maxBatchBytes ?? BATCH_DEFAULTS.maxBatchBytes
  let buffered: RawRecord[] = []
  let index = 0
  /** by `topic:partition`: the indexes of its first and last records in `buffered` */
  let spans = new Map<string, { first: number; last: number }>()

  return {
    fill(records) {
      buffered = records
      index = 0
      spans = new Map()
      for (let i = 0; i < records.length; i++) {
        const key = `${records[i]!.topic}:${records[i]!.partition}`
        const span = spans.get(key)
        if (span) span.last = i
        else spans.set(key, { first: i, last: i })
      }
    },
    clear() {
      buffered = []
      index = 0
      spans = new Map()
    },
    holding(key) {
      const span = spans.get(key)
      return span === undefined || span.last < index ? 0 : span.last - Math.max(span.first, index) + 1
    },
    take(owned) {
      const records: RawRecord[] = []
      let bytes = 0
      let checked: RawRecord | undefined
      let isOwned = false
      while (index < buffered.length && records.length < maxRecords) {
        const record = buffered[index]!
        if (
          checked === undefined ||
          record.partition !== checked.partition ||
          record.topic !== checked.topic
        ) {
          checked = record
          isOwned = owned.has(`${record.topic}:${record.partition}`)
        }
        if (isOwned) {
          const size = rawRecordBytes(record)
          if (records.length > 0 && bytes + size > maxBytes) break
          records.push(record)
          bytes += size
        }
        index++
      }
      if (index >= buffered.length) {
        buffered = []
        index = 0
        spans = new Map()
      }
      if (records.length === 0) return undefined
      const nextOffsets: PartitionOffset[] = []
      for (let i = 0; i < records.length; i++) {
        const record = records[i]!
        const next = records[i + 1]
        if (next === undefined || next.partition !== record.partition || next.topic !== record.topic) {
          nextOffsets.push({ topic: record.topic, partition: record.partition, offset: record.offset + 1 })
        }
      }
      return { records, nextOffsets }
    },
  }
}
