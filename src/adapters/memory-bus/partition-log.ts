// One partition's records in memory: an append-only run of offsets [startOffset, endOffset).
//
// Stored in columns, not as objects: each segment of 4096 records keeps typed arrays of positions,
// lengths and timestamps, and the values are packed into shared 64 KiB blocks (keys are shared
// objects, see memory-broker.ts). A retained record then costs the garbage collector nothing to trace, which is what
// limited throughput when records were kept as objects (a full partition is hundreds of thousands
// of records). `read` builds the RawRecord objects, short-lived, for the batch being handed out.
// Trimming drops whole segments, and with them the blocks only they referenced; blocks belong to
// one partition, so a lagging partition never pins another one's bytes.
import type { RawRecord } from '../../pipelines/ports.ts'

const SEGMENT_RECORDS = 4096
const BLOCK_BYTES = 64 * 1024
/** a record larger than this gets a buffer of its own rather than most of a block */
const OWN_BUFFER_BYTES = 8 * 1024

export interface ReadResult {
  /** the offset after the last record read; when nothing was read, `from` clamped to the retained range */
  nextOffset: number
  /** key plus value bytes of the records read */
  bytes: number
}

export interface PartitionLog {
  /** the earliest retained offset */
  readonly startOffset: number
  /** the offset the next appended record gets */
  readonly endOffset: number
  /** records retained: endOffset - startOffset */
  readonly size: number
  /**
   * Appends a record at `endOffset`. The value is copied (a string is stored as UTF-8); the key is
   * kept by reference and handed to every reader, so it must never change afterwards.
   */
  append(
    key: Uint8Array | null,
    value: string | Uint8Array,
    timestampMs: number,
    headers: RawRecord['headers'],
  ): void
  /**
   * Pushes records from `from` (clamped to the retained range) onto `out`, stopping before
   * `maxRecords` or `maxBytes` (key plus value bytes) would be exceeded, but taking at least one
   * record when `takeOversized` is set, so that a record larger than the limit cannot block a partition.
   */
  read(
    from: number,
    out: RawRecord[],
    maxRecords: number,
    maxBytes: number,
    takeOversized: boolean,
  ): ReadResult
  /** forgets records below `offset` (no-op when already trimmed); returns how many were forgotten */
  trimTo(offset: number): number
}

interface Segment {
  readonly keys: Array<Uint8Array | null>
  /** the buffer holding each record's value */
  readonly buffers: ArrayBufferLike[]
  /** where each record's value starts in its buffer */
  readonly positions: Int32Array
  readonly valueLengths: Int32Array
  readonly timestamps: Float64Array
  readonly headers: Array<RawRecord['headers']>
  count: number
}

function createSegment(): Segment {
  return {
    keys: [],
    buffers: [],
    positions: new Int32Array(SEGMENT_RECORDS),
    valueLengths: new Int32Array(SEGMENT_RECORDS),
    timestamps: new Float64Array(SEGMENT_RECORDS),
    headers: [],
    count: 0,
  }
}

export function createPartitionLog(topic: string, partition: number, firstOffset: number): PartitionLog {
  const segments: Segment[] = []
  let segmentsBase = firstOffset // offset of the first record of segments[0]
  let startOffset = firstOffset
  let endOffset = firstOffset
  let block = Buffer.allocUnsafeSlow(BLOCK_BYTES)
  let blockUsed = 0

  return {
    get startOffset() {
      return startOffset
    },
    get endOffset() {
      return endOffset
    },
    get size() {
      return endOffset - startOffset
    },

    append(key, value, timestampMs, headers) {
      let segment = segments[segments.length - 1]
      if (segment === undefined || segment.count === SEGMENT_RECORDS) {
        segment = createSegment()
        segments.push(segment)
      }
      // UTF-8 needs at most 3 bytes per UTF-16 code unit
      const maxBytes = typeof value === 'string' ? value.length * 3 : value.byteLength
      let target = block
      let at = blockUsed
      if (maxBytes > OWN_BUFFER_BYTES) {
        target = Buffer.allocUnsafeSlow(maxBytes)
        at = 0
      } else if (BLOCK_BYTES - blockUsed < maxBytes) {
        block = Buffer.allocUnsafeSlow(BLOCK_BYTES)
        blockUsed = 0
        target = block
        at = 0
      }
      let valueLength: number
      if (typeof value === 'string') valueLength = target.write(value, at)
      else {
        target.set(value, at)
        valueLength = value.byteLength
      }
      if (target === block) blockUsed += valueLength
      const i = segment.count++
      segment.keys.push(key)
      segment.buffers.push(target.buffer)
      segment.positions[i] = at
      segment.valueLengths[i] = valueLength
      segment.timestamps[i] = timestampMs
      segment.headers.push(headers)
      endOffset++
    },

    read(from, out, maxRecords, maxBytes, takeOversized) {
      let offset = Math.max(from, startOffset)
      let bytes = 0
      let taken = 0
      while (offset < endOffset && taken < maxRecords) {
        const relative = offset - segmentsBase
        const segment = segments[Math.floor(relative / SEGMENT_RECORDS)]!
        const i = relative % SEGMENT_RECORDS
        const key = segment.keys[i] as Uint8Array | null
        const valueLength = segment.valueLengths[i]!
        const size = (key === null ? 0 : key.byteLength) + valueLength
        if (bytes + size > maxBytes && !(takeOversized && taken === 0)) break
        out.push({
          topic,
          partition,
          offset,
          key,
          value: new Uint8Array(segment.buffers[i]!, segment.positions[i]!, valueLength),
          timestampMs: segment.timestamps[i]!,
          headers: segment.headers[i]!,
        })
        bytes += size
        taken++
        offset++
      }
      return { nextOffset: offset, bytes }
    },

    trimTo(offset) {
      const target = Math.min(offset, endOffset)
      if (target <= startOffset) return 0
      const forgotten = target - startOffset
      startOffset = target
      while (segments.length > 0 && segmentsBase + SEGMENT_RECORDS <= startOffset) {
        segments.shift()
        segmentsBase += SEGMENT_RECORDS
      }
      return forgotten
    },
  }
}
