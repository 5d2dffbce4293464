// A consumer of the memory bus. It joins its group when `batches()` is first pulled and leaves it
// when the iteration ends (abort, break, error) or on close(). Everything it does for the group
// (revoking, claiming, onRevoke/onAssign) happens inside its own fetch loop, between batches: a
// batch it has handed out is never taken back while the caller works on it.
import { StreamwatchError } from '../../errors.ts'
import type {
  BusConsumer,
  ConsumerOptions,
  PartitionLag,
  PartitionOffset,
  RawRecord,
  RecordBatch,
  TopicPartition,
} from '../../pipelines/ports.ts'
import type { ConsumerGroup, GroupMember } from './consumer-group.ts'
import type { MemoryPartition } from './memory-broker.ts'

export const DEFAULT_MAX_BATCH_RECORDS = 500
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024
export const DEFAULT_MAX_WAIT_MS = 100

export interface MemoryConsumerDeps {
  options: ConsumerOptions
  group: ConsumerGroup
  memberId: number
  /** called once the consumer is closed, so the bus forgets it */
  onClosed(): void
}

/** One run of `batches()`: the consumer's membership in its group. */
interface Session {
  readonly member: GroupMember
  /** owned partitions in (topic, partition) order: onAssign has run for them, onRevoke not yet */
  owned: MemoryPartition[]
  /** where the next fetch of each owned partition starts */
  readonly positions: Map<MemoryPartition, number>
  /** the fetch rotates its first partition so that a busy partition cannot starve the others */
  rotation: number
  /** resolves the fetch loop's wait, when it waits */
  waking: (() => void) | undefined
  /** a reconciliation in progress (it may be inside onRevoke/onAssign) */
  busy: Promise<void> | undefined
  left: boolean
  leaving: Promise<void> | undefined
}

export function createMemoryConsumer(deps: MemoryConsumerDeps): BusConsumer {
  const { options, group } = deps
  const maxBatchRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS
  let session: Session | undefined
  let closed = false
  let released = false
  let closing: Promise<void> | undefined

  function startSession(): Session {
    const s: Session = {
      member: {
        id: deps.memberId,
        topics: [...options.topics],
        dirty: true,
        wake: () => s.waking?.(),
      },
      owned: [],
      positions: new Map(),
      rotation: 0,
      waking: undefined,
      busy: undefined,
      left: false,
      leaving: undefined,
    }
    session = s
    group.join(s.member)
    return s
  }

  async function reconcile(s: Session): Promise<void> {
    s.member.dirty = false
    const busy = revokeAndClaim(s)
    s.busy = busy
    try {
      await busy
    } finally {
      s.busy = undefined
    }
  }

  async function revokeAndClaim(s: Session): Promise<void> {
    const target = new Set(group.targetOf(s.member))
    const revoked = s.owned.filter((p) => !target.has(p))
    if (revoked.length > 0) {
      s.owned = s.owned.filter((p) => target.has(p))
      forget(s, revoked)
      try {
        await options.onRevoke?.(revoked.map(toTopicPartition))
      } finally {
        for (const p of revoked) group.release(p, s.member)
      }
    }
    if (s.left) return
    // a target partition still owned by its previous owner is claimed after that owner releases it
    const gained = [...target].filter((p) => !s.owned.includes(p) && group.claim(p, s.member))
    if (gained.length === 0) return
    let seeks: PartitionOffset[] | undefined
    try {
      seeks = await options.onAssign?.(gained.map(toTopicPartition))
    } catch (error) {
      for (const p of gained) group.release(p, s.member)
      throw error
    }
    for (const p of gained) {
      const seek = seeks?.find((o) => o.topic === p.topic && o.partition === p.partition)?.offset
      const start = seek ?? group.committedOffset(p) ?? p.log.startOffset
      // like auto.offset.reset: below the retained range reads from the earliest, above it from the end
      s.positions.set(p, Math.min(Math.max(start, p.log.startOffset), p.log.endOffset))
      p.listeners.add(s.member.wake)
    }
    s.owned = [...s.owned, ...gained].sort(comparePartitions)
  }

  function forget(s: Session, partitions: readonly MemoryPartition[]): void {
    for (const p of partitions) {
      s.positions.delete(p)
      p.listeners.delete(s.member.wake)
    }
  }

  /** The next batch of what is there now, or undefined when the owned partitions have nothing new. */
  function fetch(s: Session): RecordBatch | undefined {
    const owned = s.owned
    const count = owned.length
    if (count === 0) return undefined
    const records: RawRecord[] = []
    const nextOffsets: PartitionOffset[] = []
    let bytes = 0
    for (let i = 0; i < count && records.length < maxBatchRecords && bytes < maxBatchBytes; i++) {
      const p = owned[(s.rotation + i) % count]!
      const position = s.positions.get(p)!
      if (position >= p.log.endOffset) continue
      const before = records.length
      const read = p.log.read(
        position,
        records,
        maxBatchRecords - before,
        maxBatchBytes - bytes,
        before === 0,
      )
      s.positions.set(p, read.nextOffset)
      if (records.length > before) {
        nextOffsets.push({ topic: p.topic, partition: p.partition, offset: read.nextOffset })
        bytes += read.bytes
      } else break // the next record does not fit in this batch
    }
    s.rotation = (s.rotation + 1) % count
    return records.length > 0 ? { records, nextOffsets, lag: lag(s) } : undefined
  }

  function lag(s: Session): PartitionLag[] {
    return s.owned.map((p) => ({
      ...toTopicPartition(p),
      records: Math.max(0, p.log.endOffset - s.positions.get(p)!),
    }))
  }

  function sleep(s: Session, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        s.waking = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      s.waking = done
    })
  }

  async function nextBatch(s: Session, signal: AbortSignal): Promise<RecordBatch | undefined> {
    const deadline = performance.now() + maxWaitMs
    for (;;) {
      if (s.member.dirty && !s.left) await reconcile(s)
      if (signal.aborted || closed || s.left) return undefined
      const batch = fetch(s)
      if (batch) return batch
      const remainingMs = deadline - performance.now()
      // an empty batch after maxWaitMs lets the caller act on time (flush, watermarks) while idle
      if (remainingMs <= 0) return { records: [], nextOffsets: [], lag: lag(s) }
      if (!s.member.dirty) await sleep(s, remainingMs)
    }
  }

  function leave(s: Session): Promise<void> {
    s.leaving ??= (async () => {
      s.left = true
      group.leave(s.member)
      await s.busy?.catch(() => undefined)
      const revoked = s.owned
      s.owned = []
      forget(s, revoked)
      try {
        if (revoked.length > 0) await options.onRevoke?.(revoked.map(toTopicPartition))
      } finally {
        for (const p of revoked) group.release(p, s.member)
        if (session === s) session = undefined
      }
    })()
    return s.leaving
  }

  return {
    async *batches(signal) {
      if (closed) return
      if (session)
        throw new StreamwatchError('internal', 'memory bus: batches() is already running on this consumer')
      const s = startSession()
      const wake = () => s.member.wake()
      signal.addEventListener('abort', wake)
      try {
        while (!signal.aborted && !closed) {
          const batch = await nextBatch(s, signal)
          if (batch === undefined) return
          yield batch
        }
      } finally {
        signal.removeEventListener('abort', wake)
        await leave(s)
      }
    },

    async commit(offsets) {
      // allowed while closing, so that onRevoke can commit what is done
      if (released) throw new StreamwatchError('bus_unavailable', 'memory bus: commit on a closed consumer')
      group.commit(offsets, session?.member)
    },

    assignment() {
      return session?.owned.map(toTopicPartition) ?? []
    },

    close() {
      closing ??= (async () => {
        closed = true
        const s = session
        try {
          if (s) {
            s.member.wake()
            await leave(s)
          }
        } finally {
          released = true
          deps.onClosed()
        }
      })()
      return closing
    },
  }
}

function toTopicPartition(p: MemoryPartition): TopicPartition {
  return { topic: p.topic, partition: p.partition }
}

function comparePartitions(a: MemoryPartition, b: MemoryPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}
