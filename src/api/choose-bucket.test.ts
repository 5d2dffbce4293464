import { describe, expect, it } from 'vitest'
import { chooseBucketMs, countBuckets, TARGET_POINTS } from './choose-bucket.ts'

const M = 60_000
const H = 60 * M

describe('chooseBucketMs', () => {
  it.each([
    [5 * M, 5_000],
    [15 * M, 5_000],
    [H, 15_000],
    [6 * H, 2 * M],
    [24 * H, 10 * M],
    [7 * 24 * H, H],
    [31 * 24 * H, 6 * H],
  ])('%d ms -> %d ms', (rangeMs, bucketMs) => {
    expect(chooseBucketMs(rangeMs)).toBe(bucketMs)
    expect(Math.ceil(rangeMs / bucketMs)).toBeLessThanOrEqual(TARGET_POINTS)
  })
})

describe('countBuckets', () => {
  it.each([
    [0, H, M, 60],
    [30_000, H, M, 60],
    [30_000, H + 30_000, M, 61],
    [0, 1, M, 1],
    [M, M + 1, M, 1],
  ])('[%d, %d) by %d -> %d', (from, to, bucket, n) => expect(countBuckets(from, to, bucket)).toBe(n))
})
