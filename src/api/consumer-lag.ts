// Consumer lag seen from outside the consumers, for an API process that runs none (scale-out):
// the positions the etl stores in PostgreSQL against the log ends the bus reports. A process that
// runs the consumers itself reads their own figures instead (lagFromMetrics in the api command).
import type { StoredPosition } from '../adapters/postgres/queries/index.ts'
import type { Bus, PartitionRange } from '../pipelines/ports.ts'
import type { ConsumerLagSample } from './api-context.ts'

/**
 * Records each group has still to read, per partition of the topics it has stored positions for.
 * A partition it has no position in yet counts from the start of the log; a position below the
 * start (records removed by retention) counts from the start too, since they can no longer be read.
 */
export function lagBehindPositions(
  positions: readonly StoredPosition[],
  ranges: readonly PartitionRange[],
): ConsumerLagSample[] {
  // per group: the next offset of each partition it stored a position for, and so its topics
  const byGroup = new Map<string, { next: Map<string, number>; topics: Set<string> }>()
  for (const p of positions) {
    const group = byGroup.get(p.group) ?? { next: new Map<string, number>(), topics: new Set<string>() }
    group.next.set(`${p.topic}:${p.partition}`, p.nextOffset)
    group.topics.add(p.topic)
    byGroup.set(p.group, group)
  }
  const samples: ConsumerLagSample[] = []
  for (const [group, { next, topics }] of byGroup) {
    for (const range of ranges) {
      if (!topics.has(range.topic)) continue
      const from = Math.max(range.start, next.get(`${range.topic}:${range.partition}`) ?? range.start)
      samples.push({
        group,
        topic: range.topic,
        partition: range.partition,
        records: Math.max(0, range.end - from),
      })
    }
  }
  return samples
}

export interface StoredLagSource {
  readPositions: () => Promise<StoredPosition[]>
  bus: Pick<Bus, 'offsetRanges'>
  /** an answer is reused for this long, so that many dashboards polling ask the broker once; default 1 000 */
  reuseForMs?: number
  /** longest a caller waits (the broker may be down and its client retrying); default 2 000 */
  timeoutMs?: number
  now?: () => number
}

/**
 * Lag as the API serves it: one question to the database and the broker at a time, its answer
 * reused for `reuseForMs`, and no caller waiting longer than `timeoutMs` (it gets an error, and
 * `lag_records` is null) while the question goes on for the next one.
 */
export function lagFromStoredPositions(source: StoredLagSource): () => Promise<ConsumerLagSample[]> {
  const reuseForMs = source.reuseForMs ?? 1_000
  const timeoutMs = source.timeoutMs ?? 2_000
  const now = source.now ?? Date.now
  let last: { atMs: number; samples: ConsumerLagSample[] } | undefined
  let asking: Promise<ConsumerLagSample[]> | undefined

  async function ask(): Promise<ConsumerLagSample[]> {
    const positions = await source.readPositions()
    const topics = [...new Set(positions.map((p) => p.topic))]
    return topics.length === 0 ? [] : lagBehindPositions(positions, await source.bus.offsetRanges(topics))
  }

  return async () => {
    if (last && now() - last.atMs < reuseForMs) return last.samples
    asking ??= ask()
      .then((samples) => {
        last = { atMs: now(), samples }
        return samples
      })
      .finally(() => {
        asking = undefined
      })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`consumer lag: no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([asking, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}
