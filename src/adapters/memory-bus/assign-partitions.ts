// The memory bus's partition assignor: pure and deterministic, so every member of a group computes
// the same answer. Round robin over the group's topic-partitions in (topic, partition) order, each
// going to the next member (in join order) that subscribes to its topic, which keeps members with
// the same subscription within one partition of each other even across several topics.

export interface AssignableMember {
  /** join order: members are ordered by it */
  id: number
  topics: readonly string[]
}

/** member id -> its partitions, as [topic, partition] pairs in (topic, partition) order */
export function assignPartitions(
  members: readonly AssignableMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<number, Array<[string, number]>> {
  const ordered = [...members].sort((a, b) => a.id - b.id)
  const result = new Map<number, Array<[string, number]>>(ordered.map((m) => [m.id, []]))
  const topics = [...new Set(ordered.flatMap((m) => m.topics))].filter((t) => partitionCounts.has(t)).sort()
  let turn = 0
  for (const topic of topics) {
    const subscribers = ordered.filter((m) => m.topics.includes(topic))
    const partitions = partitionCounts.get(topic) ?? 0
    for (let partition = 0; partition < partitions; partition++) {
      // the next subscriber at or after `turn` in the member order
      let chosen = subscribers[0]!
      for (let step = 0; step < ordered.length; step++) {
        const candidate = ordered[(turn + step) % ordered.length]!
        if (subscribers.includes(candidate)) {
          chosen = candidate
          turn = (turn + step + 1) % ordered.length
          break
        }
      }
      result.get(chosen.id)!.push([topic, partition])
    }
  }
  return result
}
