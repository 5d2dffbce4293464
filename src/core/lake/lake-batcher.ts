// Cuts each partition's records into objects. Pure: time is passed in (`nowMs`), no I/O.
//
// An object holds consecutive records of one partition, all of one UTC hour (by record
// timestamp), and is sealed when the next record would break one of these rules, in this order:
//   hour      the record's hour differs from the object's first record's hour
//   bytes     the object would pass `maxObjectBytes` (uncompressed line bytes; a single larger
//             record makes an object of its own)
//   records   the object has `maxObjectRecords` records
//   age       `maxBufferAgeMs` passed since its first record arrived (wall clock; `sealAged`)
//   pressure  all partitions together buffer more than `maxBufferedBytes` (`sealToFit` seals the
//             largest first)
//   drain     on shutdown (`sealAll`)
// The wall-clock rules make boundaries differ between runs. That is safe because a restart does
// not rebuild boundaries: it resumes from what the lake holds (checkpoint.ts), and the only
// object it must rebuild exactly, a `pending` one of the checkpoint, is given to `resume` as
// `expect`: until that object is sealed, the partition follows no rule but its range.
import type { Resume } from './checkpoint.ts'
import { type LakeRecord, normalizeTimestampMs } from './lake-line.ts'
import { createLineBlocks, type LineBlocks } from './line-blocks.ts'
import { formatObjectKey, hourStartOf, type ObjectRange } from './object-key.ts'

export interface LakeBatcherLimits {
  maxObjectBytes: number
  maxObjectRecords: number
  maxBufferAgeMs: number
  maxBufferedBytes: number
}

export type SealReason = 'hour' | 'bytes' | 'records' | 'age' | 'pressure' | 'drain' | 'expected'

export interface SealedObject extends ObjectRange {
  key: string
  firstTimestampMs: number
  records: number
  /** uncompressed: the lines and their newlines */
  bytes: number
  /** the object's content before compression: one JSON line per record (lake-line.ts), each ending in a newline */
  chunks: Buffer[]
  reason: SealReason
}

export interface LakeBatcher {
  /** Where a partition resumes: records below `nextOffset` are skipped; `expect` fixes its next object's range. */
  resume(topic: string, partition: number, resume: Resume): void
  /** Adds one record; returns the objects it sealed (in order: at most two). */
  add(record: LakeRecord, nowMs: number): SealedObject[]
  sealAged(nowMs: number): SealedObject[]
  /** Seals the largest buffers until all together fit in `maxBufferedBytes`. */
  sealToFit(): SealedObject[]
  /** Seals every buffer, except one still short of its `expect`ed range (it is rebuilt on the next start). */
  sealAll(): SealedObject[]
  /** Drops all state of these partitions (they were revoked): their records are read again by their new owner. */
  forget(partitions: ReadonlyArray<{ topic: string; partition: number }>): void
  readonly bufferedBytes: number
  readonly bufferedRecords: number
  /** records skipped because they were below where their partition resumed (already archived) */
  readonly skippedRecords: number
}

interface PartitionState {
  topic: string
  partition: number
  /** records below it are archived or buffered: skipped when read again */
  nextOffset: number
  expect: Resume['expect']
  lines: LineBlocks
  records: number
  bytes: number
  firstOffset: number
  lastOffset: number
  firstTimestampMs: number
  hourStartMs: number
  firstArrivalMs: number
}

export function createLakeBatcher(limits: LakeBatcherLimits): LakeBatcher {
  const partitions = new Map<string, PartitionState>()
  let bufferedBytes = 0
  let bufferedRecords = 0
  let skippedRecords = 0

  function stateOf(topic: string, partition: number): PartitionState {
    const id = `${topic}+${partition}`
    let state = partitions.get(id)
    if (!state) {
      state = {
        topic,
        partition,
        nextOffset: 0,
        expect: null,
        lines: createLineBlocks(),
        records: 0,
        bytes: 0,
        firstOffset: 0,
        lastOffset: 0,
        firstTimestampMs: 0,
        hourStartMs: 0,
        firstArrivalMs: 0,
      }
      partitions.set(id, state)
    }
    return state
  }

  function seal(state: PartitionState, reason: SealReason): SealedObject {
    const range = {
      topic: state.topic,
      partition: state.partition,
      firstOffset: state.firstOffset,
      lastOffset: state.lastOffset,
    }
    const sealed: SealedObject = {
      ...range,
      key: formatObjectKey(range, state.firstTimestampMs),
      firstTimestampMs: state.firstTimestampMs,
      records: state.records,
      bytes: state.bytes,
      chunks: state.lines.take(),
      reason,
    }
    bufferedBytes -= state.bytes
    bufferedRecords -= state.records
    state.records = 0
    state.bytes = 0
    state.expect = null
    return sealed
  }

  return {
    resume(topic, partition, resume) {
      const state = stateOf(topic, partition)
      if (state.records > 0) {
        bufferedBytes -= state.bytes
        bufferedRecords -= state.records
        state.lines.take()
        state.records = 0
        state.bytes = 0
      }
      state.nextOffset = resume.nextOffset
      state.expect = resume.expect
    },

    add(record, nowMs) {
      const state = stateOf(record.topic, record.partition)
      if (record.offset < state.nextOffset) {
        skippedRecords++
        return []
      }
      const sealed: SealedObject[] = []
      const timestampMs = normalizeTimestampMs(record.timestampMs)
      const hourStartMs = hourStartOf(timestampMs)
      const expect = state.expect
      if (expect !== null) {
        // The expected range is cut exactly at its last offset; a record past it with the range
        // unfinished means the log lost those offsets (retention): cut where it now ends.
        if (record.offset > expect.lastOffset) {
          if (state.records > 0) sealed.push(seal(state, 'expected'))
          state.expect = null
        }
      } else if (state.records > 0 && hourStartMs !== state.hourStartMs) {
        sealed.push(seal(state, 'hour'))
      }
      // A line's size is known once written: when it does not fit, it is moved to a new object.
      const lineBytes = state.lines.append(record)
      if (state.expect === null && state.records > 0 && state.bytes + lineBytes > limits.maxObjectBytes) {
        const line = state.lines.popLast(lineBytes)
        sealed.push(seal(state, 'bytes'))
        state.lines.appendBytes(line)
      }
      if (state.records === 0) {
        state.firstOffset = record.offset
        state.firstTimestampMs = timestampMs
        state.hourStartMs = hourStartMs
        state.firstArrivalMs = nowMs
      }
      state.records++
      state.bytes += lineBytes
      state.lastOffset = record.offset
      state.nextOffset = record.offset + 1
      bufferedBytes += lineBytes
      bufferedRecords++
      if (state.expect !== null) {
        if (record.offset >= state.expect.lastOffset) sealed.push(seal(state, 'expected'))
      } else if (state.records >= limits.maxObjectRecords) {
        sealed.push(seal(state, 'records'))
      } else if (state.bytes >= limits.maxObjectBytes) {
        sealed.push(seal(state, 'bytes'))
      }
      return sealed
    },

    sealAged(nowMs) {
      const sealed: SealedObject[] = []
      for (const state of partitions.values()) {
        if (
          state.records > 0 &&
          state.expect === null &&
          nowMs - state.firstArrivalMs >= limits.maxBufferAgeMs
        ) {
          sealed.push(seal(state, 'age'))
        }
      }
      return sealed
    },

    sealToFit() {
      const sealed: SealedObject[] = []
      while (bufferedBytes > limits.maxBufferedBytes) {
        let largest: PartitionState | undefined
        for (const state of partitions.values()) {
          if (state.expect === null && state.records > 0 && (!largest || state.bytes > largest.bytes)) {
            largest = state
          }
        }
        if (!largest) break
        sealed.push(seal(largest, 'pressure'))
      }
      return sealed
    },

    sealAll() {
      const sealed: SealedObject[] = []
      for (const state of partitions.values()) {
        if (state.records > 0 && state.expect === null) sealed.push(seal(state, 'drain'))
      }
      return sealed
    },

    forget(revoked) {
      for (const { topic, partition } of revoked) {
        const id = `${topic}+${partition}`
        const state = partitions.get(id)
        if (!state) continue
        bufferedBytes -= state.bytes
        bufferedRecords -= state.records
        partitions.delete(id)
      }
    },

    get bufferedBytes() {
      return bufferedBytes
    },
    get bufferedRecords() {
      return bufferedRecords
    },
    get skippedRecords() {
      return skippedRecords
    },
  }
}
