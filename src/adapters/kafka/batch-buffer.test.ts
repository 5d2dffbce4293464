import { describe, expect, it } from 'vitest'
import type { RawRecord, TopicPartition } from '../../pipelines/ports.ts'
import { createBatchBuffer } from './batch-buffer.ts'

const aRecord = (topic: string, partition: number, offset: number, valueBytes = 10): RawRecord => ({
  topic,
  partition,
  offset,
  key: null,
  value: new Uint8Array(valueBytes),
  timestampMs: 0,
  headers: [],
})

const owning = (...partitions: TopicPartition[]) =>
  new Map(partitions.map((p) => [`${p.topic}:${p.partition}`, p] as const))

const fetched = [
  aRecord('logs', 0, 5),
  aRecord('logs', 0, 6),
  aRecord('logs', 0, 7),
  aRecord('logs', 1, 40),
  aRecord('logs', 1, 41),
  aRecord('metrics', 0, 9),
]
const all = owning(
  { topic: 'logs', partition: 0 },
  { topic: 'logs', partition: 1 },
  { topic: 'metrics', partition: 0 },
)

describe('batch buffer', () => {
  it('hands out batches of at most maxBatchRecords, with the next offset of each partition in them', () => {
    const buffer = createBatchBuffer({ maxBatchRecords: 4 })
    buffer.fill(fetched)
    const first = buffer.take(all)!
    expect(first.records.map((r) => r.offset)).toEqual([5, 6, 7, 40])
    expect(first.nextOffsets).toEqual([
      { topic: 'logs', partition: 0, offset: 8 },
      { topic: 'logs', partition: 1, offset: 41 },
    ])
    const second = buffer.take(all)!
    expect(second.records.map((r) => r.offset)).toEqual([41, 9])
    expect(second.nextOffsets).toEqual([
      { topic: 'logs', partition: 1, offset: 42 },
      { topic: 'metrics', partition: 0, offset: 10 },
    ])
    expect(buffer.take(all)).toBeUndefined()
  })

  it.each([
    ['stops before the byte bound', 25, [2, 2, 2]],
    ['still hands out a record larger than the bound on its own', 5, [1, 1, 1, 1, 1, 1]],
  ])('%s', (_, maxBatchBytes, sizes) => {
    const buffer = createBatchBuffer({ maxBatchBytes })
    buffer.fill(fetched)
    const taken: number[] = []
    for (let batch = buffer.take(all); batch; batch = buffer.take(all)) taken.push(batch.records.length)
    expect(taken).toEqual(sizes)
  })

  it('drops the records of partitions no longer owned', () => {
    const buffer = createBatchBuffer({})
    buffer.fill(fetched)
    const batch = buffer.take(owning({ topic: 'logs', partition: 1 }))!
    expect(batch.records.map((r) => `${r.topic}/${r.partition}@${r.offset}`)).toEqual([
      'logs/1@40',
      'logs/1@41',
    ])
    expect(batch.nextOffsets).toEqual([{ topic: 'logs', partition: 1, offset: 42 }])
    expect(buffer.take(all)).toBeUndefined()
  })

  it('counts what it holds of each partition until it is taken', () => {
    const buffer = createBatchBuffer({ maxBatchRecords: 2 })
    buffer.fill(fetched)
    const holding = () => ['logs:0', 'logs:1', 'metrics:0', 'logs:2'].map((key) => buffer.holding(key))
    expect(holding()).toEqual([3, 2, 1, 0])
    buffer.take(all)
    expect(holding()).toEqual([1, 2, 1, 0])
    buffer.take(all)
    expect(holding()).toEqual([0, 1, 1, 0])
    buffer.take(all)
    expect(holding()).toEqual([0, 0, 0, 0])
    buffer.fill(fetched)
    buffer.clear()
    expect(holding()).toEqual([0, 0, 0, 0])
  })

  it('is empty after clear', () => {
    const buffer = createBatchBuffer({})
    buffer.fill(fetched)
    buffer.clear()
    expect(buffer.take(all)).toBeUndefined()
  })
})
