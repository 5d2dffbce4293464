import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeLakeLine, type LakeRecord } from './lake-line.ts'
import { createLineBlocks } from './line-blocks.ts'
import { maxLakeLineBytes, writeLakeLine } from './line-writer.ts'

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))

const arbitraryBytes = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }).map(bytes),
  fc.constantFrom(
    bytes('{"a":"b\\\\c\\n"}'),
    bytes('\u0000\u001f\u007f"\\\u2028'),
    new Uint8Array([0xc0, 0x80]),
  ),
)

const arbitraryRecord: fc.Arbitrary<LakeRecord> = fc.record({
  topic: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  partition: fc.nat(1000),
  offset: fc.nat(),
  timestampMs: fc.oneof(fc.integer({ min: -1, max: 4_102_444_800_000 }), fc.constant(Number.NaN)),
  key: fc.option(arbitraryBytes),
  value: fc.option(arbitraryBytes),
  headers: fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), arbitraryBytes), { maxLength: 3 }),
})

describe('writeLakeLine', () => {
  it('writes exactly the bytes of encodeLakeLine plus a newline, within maxLakeLineBytes (property)', () => {
    fc.assert(
      fc.property(arbitraryRecord, (record) => {
        const target = Buffer.alloc(maxLakeLineBytes(record) + 8, 0xaa)
        const end = writeLakeLine(record, target, 3)
        expect(target.subarray(3, end).toString('utf8')).toBe(`${encodeLakeLine(record)}\n`)
        expect(end - 3).toBeLessThanOrEqual(maxLakeLineBytes(record))
        expect(target.subarray(end).every((b) => b === 0xaa)).toBe(true)
      }),
      { numRuns: 1_000 },
    )
  })
})

describe('createLineBlocks', () => {
  it('keeps lines in order across blocks, and moves the last one on request', () => {
    fc.assert(
      fc.property(fc.array(arbitraryRecord, { minLength: 1, maxLength: 60 }), (records) => {
        const blocks = createLineBlocks()
        const sizes = records.map((r) => blocks.append(r))
        expect(blocks.bytes).toBe(sizes.reduce((a, b) => a + b, 0))
        const last = blocks.popLast(sizes.at(-1)!)
        const first = Buffer.concat(blocks.take()).toString('utf8')
        blocks.appendBytes(last)
        const second = Buffer.concat(blocks.take()).toString('utf8')
        const expected = records.map((r) => `${encodeLakeLine(r)}\n`)
        expect(first).toBe(expected.slice(0, -1).join(''))
        expect(second).toBe(expected.at(-1))
        expect(blocks.bytes).toBe(0)
      }),
      { numRuns: 200 },
    )
  })

  it('grows past its block size for a line larger than a block', () => {
    const blocks = createLineBlocks()
    const big: LakeRecord = {
      topic: 'logs',
      partition: 0,
      offset: 1,
      key: null,
      value: new Uint8Array(3 * 1024 * 1024).fill(0x22),
      timestampMs: 0,
      headers: [],
    }
    const size = blocks.append(big)
    expect(size).toBe(Buffer.byteLength(encodeLakeLine(big)) + 1)
    expect(Buffer.concat(blocks.take()).length).toBe(size)
  })
})
