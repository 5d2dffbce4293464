// Timeseries buckets: chosen from a ladder of round sizes so that a range gives at most about
// TARGET_POINTS points; an explicit bucket may give up to MAX_BUCKETS.

export const BUCKET_LADDER_MS: readonly number[] = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
]
export const TARGET_POINTS = 240
export const MAX_BUCKETS = 2_000

/** The smallest ladder size giving at most TARGET_POINTS buckets over `rangeMs` (the largest beyond). */
export function chooseBucketMs(rangeMs: number): number {
  for (const size of BUCKET_LADDER_MS) if (Math.ceil(rangeMs / size) <= TARGET_POINTS) return size
  return BUCKET_LADDER_MS[BUCKET_LADDER_MS.length - 1]!
}

/** Buckets over [fromMs, toMs) when they are aligned on the epoch, as date_bin aligns them. */
export function countBuckets(fromMs: number, toMs: number, bucketMs: number): number {
  const first = Math.floor(fromMs / bucketMs)
  const last = Math.floor((toMs - 1) / bucketMs)
  return Math.max(0, last - first + 1)
}
