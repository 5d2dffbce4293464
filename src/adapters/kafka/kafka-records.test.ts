import type { RecordsBatch } from '@platformatic/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RawRecord } from '../../pipelines/ports.ts'
import {
  appendRawRecords,
  chunkMessages,
  createJavaCompatiblePartitioner,
  MAX_TIMESTAMP_SPREAD_MS,
  type ProducerMessage,
  toProducerMessage,
} from './kafka-records.ts'

const NOW_MS = 1_767_225_600_000 // 2026-01-01T00:00:00Z

describe('toProducerMessage', () => {
  it('keeps keys, values and headers as bytes, without copying byte arrays', () => {
    const bytes = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4)
    const message = toProducerMessage(
      { topic: 't', key: bytes, value: 'välue', headers: { 'trace-id': 'abc', empty: '' }, timestampMs: 42 },
      NOW_MS,
    )
    expect([...message.key!]).toEqual([8, 7, 6])
    expect(message.key!.buffer).toBe(bytes.buffer)
    expect(message.value!.toString('utf8')).toBe('välue')
    expect(message.timestamp).toBe(42n)
    expect(
      [...(message.headers as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString(), v.toString()]),
    ).toEqual([
      ['trace-id', 'abc'],
      ['empty', ''],
    ])
  })

  it.each([
    ['a null key stays absent', { key: null }, undefined],
    ['an empty string key stays an empty key', { key: '' }, ''],
  ])('%s', (_, record, expectedKey) => {
    const message = toProducerMessage({ topic: 't', value: 'v', ...record }, NOW_MS)
    expect(message.key?.toString()).toBe(expectedKey)
  })

  it('stamps records without a timestamp with now', () => {
    expect(toProducerMessage({ topic: 't', key: null, value: 'v' }, NOW_MS).timestamp).toBe(BigInt(NOW_MS))
  })
})

describe('createJavaCompatiblePartitioner', () => {
  // partitions of these keys in a 6-partition topic, as kcat -X partitioner=murmur2 (librdkafka's
  // Java-compatible partitioner) placed them on the real broker
  it.each([
    ['21', 0],
    ['foobar', 0],
    ['abc', 3],
    ['a', 4],
  ])('puts key %s where Java clients do (partition %i of 6)', (key, partition) => {
    const partitioner = createJavaCompatiblePartitioner()
    expect(partitioner({ topic: 't' }, Buffer.from(key)) % 6).toBe(partition)
  })

  it('never returns a negative number, so the client modulo stays a partition', () => {
    const partitioner = createJavaCompatiblePartitioner()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
        expect(partitioner({ topic: 't' }, Buffer.from(key))).toBeGreaterThanOrEqual(0)
      }),
    )
  })

  it('spreads keyless records round-robin, per topic', () => {
    const partitioner = createJavaCompatiblePartitioner()
    const picks = ['a', 'a', 'b', 'a', 'b'].map((topic) => partitioner({ topic }, undefined))
    expect(picks).toEqual([0, 1, 0, 2, 1])
  })
})

describe('chunkMessages', () => {
  const message = (valueBytes: number, timestampMs = NOW_MS): ProducerMessage => ({
    topic: 't',
    value: Buffer.alloc(valueBytes),
    timestamp: BigInt(timestampMs),
  })

  it('keeps order, puts at least one record in each chunk, and stays under the byte bound otherwise', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }), (sizes) => {
        const messages = sizes.map((size) => message(size))
        const chunks = chunkMessages(messages, 1000)
        expect(chunks.flat()).toEqual(messages)
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0)
          const bytes = chunk.reduce((sum, m) => sum + 20 + m.value!.byteLength, 0)
          if (chunk.length > 1) expect(bytes).toBeLessThanOrEqual(1000)
        }
      }),
    )
  })

  it('separates records whose timestamps spread wider than the client can encode', () => {
    const day = 86_400_000
    const chunks = chunkMessages(
      [
        message(10, NOW_MS),
        message(10, NOW_MS - 20 * day),
        message(10, NOW_MS + 4 * day),
        message(10, NOW_MS + 5 * day), // 25 days after the earliest of the chunk
        message(10, 1_500_000_000_000),
      ],
      1_000_000,
    )
    expect(chunks.map((c) => c.length)).toEqual([3, 1, 1])
    for (const chunk of chunks) {
      const times = chunk.map((m) => Number(m.timestamp))
      expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(MAX_TIMESTAMP_SPREAD_MS)
    }
  })
})

describe('appendRawRecords', () => {
  const record = (
    offsetDelta: number,
    timestampDelta: number,
    value: string,
    headers: [string, string][] = [],
  ) => ({
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(timestampDelta),
    offsetDelta,
    key: Buffer.from(`k${offsetDelta}`),
    value: Buffer.from(value),
    headers: headers.map(([n, v]) => [Buffer.from(n), Buffer.from(v)] as [Buffer, Buffer]),
  })
  const batch = (
    firstOffset: number,
    attributes: number,
    records: ReturnType<typeof record>[],
  ): RecordsBatch => ({
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: records.length === 0 ? 0 : Math.max(...records.map((r) => r.offsetDelta)),
    firstTimestamp: BigInt(NOW_MS),
    maxTimestamp: BigInt(NOW_MS + 500),
    producerId: -1n,
    producerEpoch: 0,
    firstSequence: 0,
    records,
  })

  it('converts records, skipping those before the fetch offset and control batches, and says where to go on', () => {
    const out: RawRecord[] = []
    const next = appendRawRecords(
      'logs',
      3,
      [
        batch(10, 0, [record(0, 0, 'a'), record(1, 5, 'b', [['h', 'x']]), record(2, -3, 'c')]),
        batch(13, 0x20, [record(0, 0, 'commit marker')]), // control batch: a transaction marker
        batch(14, 0, [record(0, 7, 'd')]),
      ],
      11,
      out,
    )
    expect(next).toBe(15)
    expect(out.map((r) => [r.offset, r.value!.toString(), r.timestampMs])).toEqual([
      [11, 'b', NOW_MS + 5],
      [12, 'c', NOW_MS - 3],
      [14, 'd', NOW_MS + 7],
    ])
    expect(out[0]!.headers.map(([n, v]) => [n, Buffer.from(v).toString()])).toEqual([['h', 'x']])
    expect(out[1]!.headers).toEqual([])
    expect(out[0]).toMatchObject({ topic: 'logs', partition: 3 })
    expect(out[0]!.key!.toString()).toBe('k1')
  })

  it('gives every record the broker time of a LogAppendTime batch', () => {
    const out: RawRecord[] = []
    appendRawRecords('logs', 0, [batch(0, 0x08, [record(0, 0, 'a'), record(1, 99, 'b')])], 0, out)
    expect(out.map((r) => r.timestampMs)).toEqual([NOW_MS + 500, NOW_MS + 500])
  })

  it('stays at the fetch offset when nothing came', () => {
    expect(appendRawRecords('logs', 0, [], 42, [])).toBe(42)
  })
})
