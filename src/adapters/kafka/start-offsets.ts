// Where newly assigned partitions start reading: where onAssign says, else at the group's
// committed offset, else at the earliest offset still in the log (like auto.offset.reset=earliest:
// what was never committed is read, not skipped).
import { type Consumer, ListOffsetTimestamps } from '@platformatic/kafka'
import type { ConsumerOptions, TopicPartition } from '../../pipelines/ports.ts'
import type { RetryBackoff } from './retry-backoff.ts'

export interface StartOffsetsRequest {
  client: Consumer
  assigned: readonly TopicPartition[]
  onAssign: ConsumerOptions['onAssign']
  backoff: RetryBackoff
  signal: AbortSignal
}

/** By `topic:partition`. Partitions are missing only when `signal` aborted first. */
export async function resolveStartOffsets(request: StartOffsetsRequest): Promise<Map<string, number>> {
  const { client, assigned, signal } = request
  const starts = new Map<string, number>()
  const assignedKeys = new Set(assigned.map(keyOf))
  for (const offset of (await request.onAssign?.([...assigned])) ?? []) {
    if (assignedKeys.has(keyOf(offset))) starts.set(keyOf(offset), offset.offset)
  }
  const missing = assigned.filter((tp) => !starts.has(keyOf(tp)))
  while (missing.length > 0 && !signal.aborted) {
    try {
      const committed = await client.listCommittedOffsets({ topics: groupByTopic(missing) })
      const commitOf = (tp: TopicPartition) => committed.get(tp.topic)?.[tp.partition] ?? -1n
      const uncommitted = missing.filter((tp) => commitOf(tp) < 0n)
      const earliest =
        uncommitted.length === 0
          ? new Map<string, bigint[]>()
          : await client.listOffsets({
              topics: [...new Set(uncommitted.map((tp) => tp.topic))],
              partitions: Object.fromEntries(groupByTopic(uncommitted).map((t) => [t.topic, t.partitions])),
              timestamp: ListOffsetTimestamps.EARLIEST,
            })
      for (const tp of missing) {
        const commit = commitOf(tp)
        starts.set(keyOf(tp), Number(commit >= 0n ? commit : (earliest.get(tp.topic)?.[tp.partition] ?? 0n)))
      }
      request.backoff.succeeded()
      break
    } catch (error) {
      await request.backoff.failed(`read the committed offsets of group ${client.groupId}`, error, signal)
    }
  }
  return starts
}

export function keyOf(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`
}

function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions)
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
}
