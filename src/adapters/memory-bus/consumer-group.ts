// A consumer group of the memory bus: who is in it, which member should own which partition
// (assign-partitions.ts), who owns it now, and the committed offsets.
//
// Hand-over follows Kafka's cooperative protocol: a partition moves in two steps. Its old owner
// revokes it in its own fetch loop (once the batch it handed out is done, i.e. when it asks for the
// next one), calls onRevoke and releases it; only then may the new owner claim it and call
// onAssign. So onRevoke of the old owner always returns before onAssign of the new one starts, and
// an offset committed in between is where the new owner starts.
import { StreamwatchError } from '../../errors.ts'
import type { PartitionOffset } from '../../pipelines/ports.ts'
import { assignPartitions } from './assign-partitions.ts'
import type { MemoryBroker, MemoryPartition, Retainer } from './memory-broker.ts'

export interface GroupMember {
  /** join order, unique within the bus */
  readonly id: number
  readonly topics: readonly string[]
  /** set by the group when the member's target changed or a partition it waits for was released */
  dirty: boolean
  wake(): void
}

export interface ConsumerGroup extends Retainer {
  readonly groupId: string
  join(member: GroupMember): void
  leave(member: GroupMember): void
  /** recomputes the targets, e.g. after a subscribed topic was created */
  rebalance(): void
  /** the partitions `member` should own, in (topic, partition) order */
  targetOf(member: GroupMember): readonly MemoryPartition[]
  /** takes a free partition for `member`; false when another member still owns it */
  claim(partition: MemoryPartition, member: GroupMember): boolean
  release(partition: MemoryPartition, member: GroupMember): void
  /**
   * Stores committed offsets. Rejects (bus_fenced) a commit for a partition that another member
   * owns now: its new owner's progress must not be overwritten by a late commit.
   */
  commit(offsets: readonly PartitionOffset[], member: GroupMember | undefined): void
}

export function createConsumerGroup(groupId: string, broker: MemoryBroker): ConsumerGroup {
  const members: GroupMember[] = []
  const committed = new Map<MemoryPartition, number>()
  const owners = new Map<MemoryPartition, GroupMember>()
  const targets = new Map<GroupMember, MemoryPartition[]>()
  const targetOwners = new Map<MemoryPartition, GroupMember>()

  function rebalance(): void {
    const counts = new Map<string, number>()
    for (const topic of new Set(members.flatMap((m) => m.topics))) {
      const partitions = broker.partitionsOf(topic)
      if (partitions) counts.set(topic, partitions.length)
    }
    const assignment = assignPartitions(members, counts)
    targets.clear()
    targetOwners.clear()
    for (const member of members) {
      const partitions = (assignment.get(member.id) ?? []).map(
        ([topic, p]) => broker.partitionsOf(topic)![p]!,
      )
      targets.set(member, partitions)
      for (const partition of partitions) targetOwners.set(partition, member)
      member.dirty = true
      member.wake()
    }
  }

  const group: ConsumerGroup = {
    groupId,

    join(member) {
      members.push(member)
      members.sort((a, b) => a.id - b.id)
      for (const topic of member.topics) broker.retain(topic, group)
      rebalance()
    },

    leave(member) {
      const index = members.indexOf(member)
      if (index < 0) return
      members.splice(index, 1)
      rebalance()
    },

    rebalance,

    targetOf(member) {
      return targets.get(member) ?? []
    },

    claim(partition, member) {
      const owner = owners.get(partition)
      if (owner !== undefined && owner !== member) return false
      owners.set(partition, member)
      return true
    },

    release(partition, member) {
      if (owners.get(partition) !== member) return
      owners.delete(partition)
      const next = targetOwners.get(partition)
      if (next) {
        next.dirty = true
        next.wake()
      }
    },

    committedOffset(partition) {
      return committed.get(partition)
    },

    commit(offsets, member) {
      // validate everything first, so that a rejected commit stores nothing
      const resolved = offsets.map((o) => {
        const partition = broker.partitionsOf(o.topic)?.[o.partition]
        if (partition === undefined) {
          throw new StreamwatchError('invalid_input', `memory bus: no partition ${o.topic}/${o.partition}`)
        }
        if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
          throw new StreamwatchError('invalid_input', `memory bus: bad offset ${o.offset} for ${o.topic}`)
        }
        const owner = owners.get(partition)
        if (owner !== undefined && owner !== member) {
          throw new StreamwatchError(
            'bus_fenced',
            `memory bus: ${o.topic}/${o.partition} now belongs to another consumer of group ${groupId}`,
          )
        }
        return [partition, o.offset] as const
      })
      for (const [partition, offset] of resolved) {
        committed.set(partition, offset)
        broker.committed(partition)
      }
    },
  }
  return group
}
