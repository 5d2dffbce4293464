import { describe, expect, it } from 'vitest'
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  nextOffsetFromKeys,
  resumeFromCheckpoint,
} from './checkpoint.ts'

const pendingKey = 'topic=logs/dt=2025-01-01/hour=10/logs+2+100+149.jsonl.gz'
const withPending: Checkpoint = {
  topic: 'logs',
  partition: 2,
  nextOffset: 100,
  pending: { key: pendingKey, firstOffset: 100, lastOffset: 149 },
}

describe('checkpoints', () => {
  it.each([
    ['with a pending object', withPending],
    ['without', { ...withPending, pending: null }],
  ])('round-trip %s', (_, checkpoint) => {
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint), 'logs', 2)).toEqual({ ok: true, checkpoint })
  })

  it.each([
    ['garbage', 'nope', /JSON/],
    ['another version', '{"version":2}', /version/],
    ['another partition', encodeCheckpoint({ ...withPending, partition: 3 }), /logs\+3/],
    ['a negative offset', encodeCheckpoint({ ...withPending, nextOffset: -1 }), /nextOffset/],
    [
      'a pending key of another partition',
      encodeCheckpoint({
        ...withPending,
        pending: { ...withPending.pending!, key: pendingKey.replace('+2+', '+1+') },
      }),
      /pending/,
    ],
    [
      'pending offsets that disagree with its key',
      encodeCheckpoint({ ...withPending, pending: { ...withPending.pending!, lastOffset: 150 } }),
      /pending/,
    ],
    ['a pending object before nextOffset', encodeCheckpoint({ ...withPending, nextOffset: 101 }), /pending/],
  ])('rejects %s', (_, text, problem) => {
    const decoded = decodeCheckpoint(text, 'logs', 2)
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.problem).toMatch(problem)
  })

  it.each([
    ['no pending object', { ...withPending, pending: null }, false, { nextOffset: 100, expect: null }],
    ['its pending object stored (crash after the put)', withPending, true, { nextOffset: 150, expect: null }],
    [
      'its pending object missing (crash before the put landed)',
      withPending,
      false,
      { nextOffset: 100, expect: withPending.pending },
    ],
  ])('resumes with %s', (_, checkpoint, pendingStored, resume) => {
    expect(resumeFromCheckpoint(checkpoint, pendingStored)).toEqual(resume)
  })

  it('finds the end of a partition from keys when there is no checkpoint', () => {
    const keys = [
      '_checkpoints/logs+2.json',
      'topic=logs/dt=2025-01-01/hour=11/logs+2+0+9.jsonl.gz',
      'topic=logs/dt=2025-01-01/hour=10/logs+2+10+19.jsonl.gz',
      'topic=logs/dt=2025-01-01/hour=10/logs+1+0+99.jsonl.gz',
      'topic=logs/dt=2025-01-01/hour=10/logs+2+20+29.jsonl.gz-a1b2',
    ]
    expect(nextOffsetFromKeys(keys, 'logs', 2)).toBe(20)
    expect(nextOffsetFromKeys(keys, 'logs', 3)).toBeUndefined()
  })
})
