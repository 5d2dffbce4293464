import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkpointKey, formatHourPath, formatObjectKey, parseObjectKey } from './object-key.ts'

const range = { topic: 'staging.logs', partition: 3, firstOffset: 100, lastOffset: 199 }

describe('formatObjectKey', () => {
  it.each([
    ['mid-hour', Date.UTC(2025, 0, 31, 7, 59, 59, 999), 'dt=2025-01-31/hour=07'],
    ['on the hour', Date.UTC(2025, 0, 31, 8), 'dt=2025-01-31/hour=08'],
    ['the last hour of a leap day', Date.UTC(2024, 1, 29, 23, 30), 'dt=2024-02-29/hour=23'],
    ['the epoch', 0, 'dt=1970-01-01/hour=00'],
    ['no timestamp (-1)', -1, 'dt=1969-12-31/hour=23'],
    ['a year below 100', Date.parse('0050-01-01T05:30:00Z'), 'dt=0050-01-01/hour=05'],
  ])('files a record timestamped %s by its UTC hour', (_, timestampMs, hourPath) => {
    expect(formatHourPath(timestampMs)).toContain(hourPath)
  })

  it('names the topic, partition and offset range', () => {
    expect(formatObjectKey(range, Date.UTC(2025, 5, 1, 13, 5))).toBe(
      'topic=staging.logs/dt=2025-06-01/hour=13/staging.logs+3+100+199.jsonl.gz',
    )
  })

  it('names checkpoints per partition', () => {
    expect(checkpointKey('staging.logs', 3)).toBe('_checkpoints/staging.logs+3.json')
  })
})

describe('parseObjectKey', () => {
  it('reads back what formatObjectKey wrote (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/),
        fc.nat(10_000),
        fc.nat(),
        fc.nat(1_000_000),
        fc.integer({ min: -1, max: 253_402_300_799_999 }),
        (topic, partition, firstOffset, length, timestampMs) => {
          const r = { topic, partition, firstOffset, lastOffset: firstOffset + length }
          const parsed = parseObjectKey(formatObjectKey(r, timestampMs))
          expect(parsed).toEqual({ ...r, hourStartMs: Math.floor(timestampMs / 3_600_000) * 3_600_000 })
        },
      ),
    )
  })

  it.each([
    ['a checkpoint', '_checkpoints/logs+0.json'],
    ["a store's temporary file", 'topic=logs/dt=2025-01-01/hour=00/logs+0+1+2.jsonl.gz-3f2a9c'],
    ['a directory marker', 'topic=logs/dt=2025-01-01/hour=00/'],
    ['another topic in the file name', 'topic=logs/dt=2025-01-01/hour=00/metrics+0+1+2.jsonl.gz'],
    ['first offset after last', 'topic=logs/dt=2025-01-01/hour=00/logs+0+5+2.jsonl.gz'],
    ['an impossible date', 'topic=logs/dt=2025-02-30/hour=00/logs+0+1+2.jsonl.gz'],
    ['hour 24', 'topic=logs/dt=2025-01-01/hour=24/logs+0+1+2.jsonl.gz'],
    ['a prefix before topic=', 'lake/topic=logs/dt=2025-01-01/hour=00/logs+0+1+2.jsonl.gz'],
  ])('ignores %s', (_, key) => {
    expect(parseObjectKey(key)).toBeUndefined()
  })
})
