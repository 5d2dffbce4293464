import { describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { createCleanPolicy, DEFAULT_CLEAN_POLICY } from './clean-policy.ts'

describe('createCleanPolicy', () => {
  it('applies the documented defaults', () => {
    expect(createCleanPolicy()).toEqual({
      maxMessageBytes: 262_144,
      maxFutureSkewMs: 300_000,
      maxEventAgeMs: 604_800_000,
      maxServiceChars: 128,
      maxMessageChars: 16_384,
      maxIdChars: 128,
      maxMerchantChars: 256,
      maxStatusChars: 32,
      maxLatencyMs: 3_600_000,
      maxAmount: 1e9,
      maxAttributeDepth: 32,
    })
  })

  it('overrides only what it is given, and is frozen', () => {
    const policy = createCleanPolicy({ maxFutureSkewMs: 30_000, maxAmount: undefined })
    expect(policy).toEqual({ ...DEFAULT_CLEAN_POLICY, maxFutureSkewMs: 30_000 })
    expect(Object.isFrozen(policy)).toBe(true)
  })

  it.each<[Record<string, unknown>, string]>([
    [{ maxMessageBytes: -1 }, 'clean policy: maxMessageBytes=-1: expected a number ≥ 0'],
    [{ maxAmount: Number.NaN }, 'clean policy: maxAmount=NaN: expected a number ≥ 0'],
    [{ maxEventAgeMs: '7d' }, 'clean policy: maxEventAgeMs=7d: expected a number ≥ 0'],
  ])('rejects %j as invalid configuration', (partial, message) => {
    expect(() => createCleanPolicy(partial)).toThrow(message)
    expect(() => createCleanPolicy(partial)).toThrow(StreamwatchError)
  })
})
