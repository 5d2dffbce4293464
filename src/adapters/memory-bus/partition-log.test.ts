import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RawRecord } from '../../pipelines/ports.ts'
import { createPartitionLog } from './partition-log.ts'

const NO_HEADERS: RawRecord['headers'] = []
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes))

function logWith(values: Array<string | Uint8Array>, firstOffset = 0) {
  const log = createPartitionLog('t', 3, firstOffset)
  values.forEach((value, i) => {
    log.append(i % 2 === 0 ? new TextEncoder().encode(`k${i}`) : null, value, 1000 + i, NO_HEADERS)
  })
  return log
}

function readAll(log: ReturnType<typeof createPartitionLog>, from: number) {
  const out: RawRecord[] = []
  log.read(from, out, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true)
  return out
}

describe('partition log', () => {
  it('keeps any values byte for byte with their offsets', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 300 })),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (values, first) => {
          const log = logWith(values, first)
          const out = readAll(log, first)
          expect(out.map((r) => r.offset)).toEqual(values.map((_, i) => first + i))
          out.forEach((r, i) => {
            const value = values[i]!
            if (typeof value === 'string') expect(text(r.value)).toBe(value)
            else expect([...r.value!]).toEqual([...value])
            expect(text(r.key)).toBe(i % 2 === 0 ? `k${i}` : null)
            expect(r).toMatchObject({ topic: 't', partition: 3, timestampMs: 1000 + i })
          })
        },
      ),
    )
  })

  it('copies values, so the caller may reuse its buffer', () => {
    const buffer = Uint8Array.from([1, 2, 3])
    const log = createPartitionLog('t', 0, 0)
    log.append(null, buffer, 0, NO_HEADERS)
    buffer.fill(9)
    log.append(null, 'x'.repeat(20_000), 0, NO_HEADERS) // a value too large for a shared block
    const [small, large] = readAll(log, 0)
    expect([...small!.value!]).toEqual([1, 2, 3])
    expect(large!.value!.length).toBe(20_000)
  })

  it.each([
    // maxRecords, maxBytes, takeOversized -> offsets read (values are 10 bytes, keys 2 or none)
    [3, 1_000, false, [0, 1, 2]],
    [100, 25, false, [0, 1]],
    [100, 5, false, []],
    [100, 5, true, [0]],
  ])(
    'stops at %i records / %i bytes (oversized first taken: %s)',
    (maxRecords, maxBytes, takeOversized, offsets) => {
      const log = logWith(Array.from({ length: 6 }, (_, i) => `value-${i}...`.slice(0, 10)))
      const out: RawRecord[] = []
      const result = log.read(0, out, maxRecords, maxBytes, takeOversized)
      expect(out.map((r) => r.offset)).toEqual(offsets)
      expect(result.nextOffset).toBe(offsets.length)
    },
  )

  it('trims whole segments away and clamps reads below the start', () => {
    const log = logWith(
      Array.from({ length: 10_000 }, (_, i) => `v${i}`),
      500,
    )
    expect(log.trimTo(400)).toBe(0)
    expect(log.trimTo(500 + 9_000)).toBe(9_000)
    expect(log.trimTo(500 + 8_000)).toBe(0)
    expect(log).toMatchObject({ startOffset: 9_500, endOffset: 10_500, size: 1_000 })
    const out = readAll(log, 0)
    expect(out.map((r) => r.offset)).toEqual(Array.from({ length: 1_000 }, (_, i) => 9_500 + i))
    expect(text(out[0]!.value)).toBe('v9000')
    expect(log.trimTo(20_000)).toBe(1_000)
    expect(log.size).toBe(0)
    log.append(null, 'after', 0, NO_HEADERS)
    expect(readAll(log, 0).map((r) => [r.offset, text(r.value)])).toEqual([[10_500, 'after']])
  })
})
