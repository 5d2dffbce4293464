// One partition's pending lines, as bytes in a few large blocks rather than a string per record:
// memory is close to the bytes written (plus at most one block's unused tail), and the garbage
// collector sees a handful of buffers instead of a hundred thousand strings. Pure.
import type { LakeRecord } from './lake-line.ts'
import { maxLakeLineBytes, writeLakeLine } from './line-writer.ts'

const FIRST_BLOCK_BYTES = 64 * 1024
const MAX_BLOCK_BYTES = 1024 * 1024

export interface LineBlocks {
  /** Writes the record's line; returns its size in bytes, newline included. */
  append(record: LakeRecord): number
  /** Removes the line just appended (`bytes` long) and returns a copy of it. */
  popLast(bytes: number): Buffer
  /** Appends bytes of a line as they are. */
  appendBytes(line: Uint8Array): void
  /** bytes written since the last take */
  readonly bytes: number
  /** The lines written since the last take, in order, as consecutive chunks; empties the blocks. */
  take(): Buffer[]
}

export function createLineBlocks(): LineBlocks {
  let full: Buffer[] = []
  let block: Buffer | undefined
  let pos = 0
  let bytes = 0
  let nextBlockBytes = FIRST_BLOCK_BYTES

  /** Makes sure the current block has `room` bytes free after `pos`. */
  function reserve(room: number): Buffer {
    if (block === undefined || block.length - pos < room) {
      if (block !== undefined && pos > 0) full.push(block.subarray(0, pos))
      block = Buffer.allocUnsafe(Math.max(nextBlockBytes, room))
      nextBlockBytes = Math.min(MAX_BLOCK_BYTES, nextBlockBytes * 2)
      pos = 0
    }
    return block
  }

  return {
    append(record) {
      const target = reserve(maxLakeLineBytes(record))
      const end = writeLakeLine(record, target, pos)
      const written = end - pos
      pos = end
      bytes += written
      return written
    },
    popLast(lineBytes) {
      // A line never spans blocks (append reserves room for it first), so it is the tail of this one.
      const line = Buffer.from(block!.subarray(pos - lineBytes, pos))
      pos -= lineBytes
      bytes -= lineBytes
      return line
    },
    appendBytes(line) {
      reserve(line.byteLength).set(line, pos)
      pos += line.byteLength
      bytes += line.byteLength
    },
    get bytes() {
      return bytes
    },
    take() {
      if (block !== undefined && pos > 0) full.push(block.subarray(0, pos))
      const chunks = full
      full = []
      block = undefined
      pos = 0
      bytes = 0
      nextBlockBytes = FIRST_BLOCK_BYTES
      return chunks
    },
  }
}
