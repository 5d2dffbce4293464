import { describe, expect, it } from 'vitest'
import { createTokenBucket } from './token-bucket.ts'

describe('createTokenBucket', () => {
  it('lets a full bucket through at once, then makes each request wait its share', () => {
    const bucket = createTokenBucket({ ratePerSecond: 100, capacity: 10, nowMs: 0 })
    expect(bucket.reserve(10, 0)).toBe(0)
    expect(bucket.reserve(10, 0)).toBe(100)
    // the caller slept 100 ms: the debt is paid, the next 10 cost another 100 ms
    expect(bucket.reserve(10, 100)).toBe(100)
  })

  it('never holds more than its capacity after an idle spell', () => {
    const bucket = createTokenBucket({ ratePerSecond: 1_000, capacity: 50, nowMs: 0 })
    expect(bucket.reserve(50, 60_000)).toBe(0)
    expect(bucket.reserve(1, 60_000)).toBe(1)
  })

  it('keeps the long-run rate: n tokens take n / rate seconds', () => {
    const bucket = createTokenBucket({ ratePerSecond: 250, capacity: 25, nowMs: 0 })
    let now = 0
    for (let i = 0; i < 100; i++) now += bucket.reserve(25, now)
    // 2,500 tokens at 250/s, the first 25 free: 9.9 s
    expect(now).toBeCloseTo(9_900, 6)
  })

  it.each([[{ ratePerSecond: 0, capacity: 1, nowMs: 0 }], [{ ratePerSecond: 1, capacity: 0, nowMs: 0 }]])(
    'refuses %j',
    (options) => {
      expect(() => createTokenBucket(options)).toThrow(RangeError)
    },
  )
})
