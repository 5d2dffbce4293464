// A token bucket on wall time, with the clock passed in: `reserve(n, nowMs)` takes n tokens (going
// into debt if need be) and says how long to wait before using them. Holding at most `capacity`
// tokens bounds the burst after an idle spell; debt makes a large request wait its full share.

export interface TokenBucket {
  /** takes `count` tokens; resolves nothing, returns the milliseconds to wait before spending them */
  reserve(count: number, nowMs: number): number
}

export function createTokenBucket(options: {
  ratePerSecond: number
  capacity: number
  nowMs: number
}): TokenBucket {
  const { ratePerSecond, capacity } = options
  if (!(ratePerSecond > 0) || !(capacity > 0)) throw new RangeError('ratePerSecond and capacity must be > 0')
  let tokens = capacity
  let lastMs = options.nowMs
  return {
    reserve(count, nowMs) {
      if (nowMs > lastMs) {
        tokens = Math.min(capacity, tokens + ((nowMs - lastMs) * ratePerSecond) / 1000)
        lastMs = nowMs
      }
      tokens -= count
      return tokens >= 0 ? 0 : (-tokens * 1000) / ratePerSecond
    },
  }
}
