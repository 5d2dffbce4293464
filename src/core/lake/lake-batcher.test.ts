import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLakeBatcher, type LakeBatcherLimits, type SealedObject } from './lake-batcher.ts'
import { encodeLakeLine, type LakeRecord } from './lake-line.ts'

const T0 = Date.UTC(2025, 0, 1, 10, 0)
const MINUTE = 60_000
const NOW = 1_000_000

const limits: LakeBatcherLimits = {
  maxObjectBytes: 1_000_000,
  maxObjectRecords: 1_000,
  maxBufferAgeMs: 10_000,
  maxBufferedBytes: 10_000_000,
}

function aRecord(offset: number, overrides: Partial<LakeRecord> = {}): LakeRecord {
  return {
    topic: 'logs',
    partition: 0,
    offset,
    key: null,
    value: new TextEncoder().encode(`v${offset}`),
    timestampMs: T0 + offset,
    headers: [],
    ...overrides,
  }
}

const lineBytes = (record: LakeRecord) => Buffer.byteLength(encodeLakeLine(record)) + 1
const linesOf = (o: SealedObject) => Buffer.concat(o.chunks).toString('utf8').split('\n').slice(0, -1)
const ranges = (objects: SealedObject[]) => objects.map((o) => [o.firstOffset, o.lastOffset, o.reason])

function addAll(
  batcher: ReturnType<typeof createLakeBatcher>,
  records: LakeRecord[],
  nowMs = NOW,
): SealedObject[] {
  return records.flatMap((r) => batcher.add(r, nowMs))
}

describe('createLakeBatcher', () => {
  it('seals at maxObjectRecords', () => {
    const batcher = createLakeBatcher({ ...limits, maxObjectRecords: 3 })
    const sealed = addAll(
      batcher,
      [0, 1, 2, 3, 4, 5, 6].map((o) => aRecord(o)),
    )
    expect(ranges(sealed)).toEqual([
      [0, 2, 'records'],
      [3, 5, 'records'],
    ])
    expect(batcher.bufferedRecords).toBe(1)
    expect(ranges(batcher.sealAll())).toEqual([[6, 6, 'drain']])
  })

  it('seals before a record that would pass maxObjectBytes, and never exceeds it', () => {
    const records = [0, 1, 2, 3, 4].map((o) => aRecord(o))
    const one = lineBytes(records[0]!)
    const batcher = createLakeBatcher({ ...limits, maxObjectBytes: one * 2 + 1 })
    const sealed = addAll(batcher, records)
    expect(ranges(sealed)).toEqual([
      [0, 1, 'bytes'],
      [2, 3, 'bytes'],
    ])
    for (const object of sealed) expect(object.bytes).toBe(one * 2)
  })

  it('gives a record larger than maxObjectBytes an object of its own', () => {
    const batcher = createLakeBatcher({ ...limits, maxObjectBytes: 200 })
    const big = aRecord(1, { value: new Uint8Array(500).fill(65) })
    expect(ranges(addAll(batcher, [aRecord(0), big, aRecord(2)]))).toEqual([
      [0, 0, 'bytes'],
      [1, 1, 'bytes'],
    ])
  })

  it('never lets an object span an hour, even when timestamps go back and forth', () => {
    const batcher = createLakeBatcher(limits)
    const at = (offset: number, minute: number) => aRecord(offset, { timestampMs: T0 + minute * MINUTE })
    const sealed = addAll(batcher, [at(0, 10), at(1, 59), at(2, 60), at(3, 61), at(4, 30), at(5, 31)])
    sealed.push(...batcher.sealAll())
    expect(ranges(sealed)).toEqual([
      [0, 1, 'hour'],
      [2, 3, 'hour'],
      [4, 5, 'drain'],
    ])
    expect(sealed.map((o) => o.key)).toEqual([
      'topic=logs/dt=2025-01-01/hour=10/logs+0+0+1.jsonl.gz',
      'topic=logs/dt=2025-01-01/hour=11/logs+0+2+3.jsonl.gz',
      'topic=logs/dt=2025-01-01/hour=10/logs+0+4+5.jsonl.gz',
    ])
  })

  it('keeps partitions apart', () => {
    const batcher = createLakeBatcher({ ...limits, maxObjectRecords: 2 })
    const sealed = addAll(batcher, [
      aRecord(0),
      aRecord(0, { partition: 1 }),
      aRecord(0, { topic: 'metrics' }),
      aRecord(1, { partition: 1 }),
    ])
    expect(sealed.map((o) => o.key)).toEqual(['topic=logs/dt=2025-01-01/hour=10/logs+1+0+1.jsonl.gz'])
    expect(batcher.bufferedRecords).toBe(2)
  })

  it('seals a buffer maxBufferAgeMs after its first record arrived, by wall clock', () => {
    const batcher = createLakeBatcher(limits)
    batcher.add(aRecord(0), NOW)
    batcher.add(aRecord(1), NOW + 9_000)
    batcher.add(aRecord(0, { partition: 1 }), NOW + 5_000)
    expect(batcher.sealAged(NOW + 9_999)).toEqual([])
    expect(ranges(batcher.sealAged(NOW + 10_000))).toEqual([[0, 1, 'age']])
    expect(ranges(batcher.sealAged(NOW + 15_000))).toEqual([[0, 0, 'age']])
    expect(batcher.bufferedBytes).toBe(0)
  })

  it('seals the largest buffers until the total fits in maxBufferedBytes', () => {
    const one = lineBytes(aRecord(0))
    const batcher = createLakeBatcher({ ...limits, maxBufferedBytes: one * 4 })
    addAll(batcher, [
      aRecord(0, { partition: 1 }),
      aRecord(0),
      aRecord(1),
      aRecord(2),
      aRecord(1, { partition: 1 }),
    ])
    expect(ranges(batcher.sealToFit())).toEqual([[0, 2, 'pressure']])
    expect(batcher.bufferedRecords).toBe(2)
    expect(batcher.sealToFit()).toEqual([])
  })

  it('skips records below where a partition resumed, and counts them', () => {
    const batcher = createLakeBatcher(limits)
    batcher.resume('logs', 0, { nextOffset: 3, expect: null })
    addAll(
      batcher,
      [0, 1, 2, 3, 4, 3, 4].map((o) => aRecord(o)),
    )
    expect(batcher.skippedRecords).toBe(5)
    expect(ranges(batcher.sealAll())).toEqual([[3, 4, 'drain']])
  })

  it('rebuilds an expected object exactly, ignoring size, count, age, pressure and drain', () => {
    const batcher = createLakeBatcher({ ...limits, maxObjectRecords: 2, maxBufferedBytes: 1 })
    const key = 'topic=logs/dt=2025-01-01/hour=10/logs+0+5+9.jsonl.gz'
    batcher.resume('logs', 0, { nextOffset: 5, expect: { key, firstOffset: 5, lastOffset: 9 } })
    expect(
      addAll(
        batcher,
        [5, 6, 7].map((o) => aRecord(o)),
      ),
    ).toEqual([])
    expect(batcher.sealAged(NOW + 60 * MINUTE)).toEqual([])
    expect(batcher.sealToFit()).toEqual([])
    expect(batcher.sealAll()).toEqual([])
    const sealed = addAll(
      batcher,
      [8, 9, 10, 11, 12].map((o) => aRecord(o)),
    )
    expect(ranges(sealed)).toEqual([
      [5, 9, 'expected'],
      [10, 11, 'records'],
    ])
    expect(sealed[0]!.key).toBe(key)
  })

  it('cuts an expected object short when the log skips past its end (lost offsets)', () => {
    const batcher = createLakeBatcher(limits)
    const key = 'topic=logs/dt=2025-01-01/hour=10/logs+0+5+9.jsonl.gz'
    batcher.resume('logs', 0, { nextOffset: 5, expect: { key, firstOffset: 5, lastOffset: 9 } })
    expect(
      ranges(
        addAll(
          batcher,
          [5, 6, 12].map((o) => aRecord(o)),
        ),
      ),
    ).toEqual([[5, 6, 'expected']])
  })

  it('forgets revoked partitions and their buffered bytes', () => {
    const batcher = createLakeBatcher(limits)
    addAll(batcher, [aRecord(0), aRecord(0, { partition: 1 })])
    batcher.forget([{ topic: 'logs', partition: 0 }])
    expect(batcher.bufferedRecords).toBe(1)
    expect(ranges(batcher.sealAll())).toEqual([[0, 0, 'drain']])
  })

  it('holds every record exactly once, in order, with contiguous objects (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -90, max: 90 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 100, max: 3_000 }),
        (steps, maxObjectRecords, maxObjectBytes) => {
          const batcher = createLakeBatcher({
            ...limits,
            maxObjectRecords,
            maxObjectBytes,
            maxBufferedBytes: 4_000,
          })
          const next = [0, 0, 0]
          const sealed: SealedObject[] = []
          for (const [partition, minute] of steps) {
            const record = aRecord(next[partition]!++, { partition, timestampMs: T0 + minute * MINUTE })
            sealed.push(...batcher.add(record, NOW), ...batcher.sealToFit())
          }
          sealed.push(...batcher.sealAll())
          for (const partition of [0, 1, 2]) {
            const objects = sealed.filter((o) => o.partition === partition)
            const offsets = objects.flatMap((o) => linesOf(o).map((l) => JSON.parse(l).offset))
            expect(offsets).toEqual([...Array(next[partition]).keys()])
            for (const o of objects) {
              const hours = new Set(linesOf(o).map((l) => Math.floor(JSON.parse(l).timestamp_ms / 3_600_000)))
              expect(hours.size).toBe(1)
              expect(o.records).toBeLessThanOrEqual(maxObjectRecords)
              expect(o.records === 1 || o.bytes <= maxObjectBytes).toBe(true)
              expect(o.lastOffset - o.firstOffset + 1).toBe(o.records)
            }
          }
          expect(batcher.bufferedBytes).toBe(0)
        },
      ),
    )
  })
})
