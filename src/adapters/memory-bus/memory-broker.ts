// The memory bus's storage: topics of partitions, appends with Kafka's partitioning, bounded
// retention with backpressure, and HiLo offset reservations. Consumer groups live beside it
// (consumer-group.ts) and tell it what they have committed, which is what may be trimmed.
import { StreamwatchError } from '../../errors.ts'
import type { OutgoingRecord, RawRecord } from '../../pipelines/ports.ts'
import { createKeyEncoder } from './key-encoder.ts'
import type { OffsetReservations } from './offset-reservations.ts'
import { createPartitionLog, type PartitionLog } from './partition-log.ts'

export interface MemoryPartition {
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  /** called after records are appended (once per publish call at most), to wake consumers */
  readonly listeners: Set<() => void>
}

/** Something that still needs a topic's records: a consumer group that subscribed to it. */
export interface Retainer {
  /** the group's committed offset: records below it may be trimmed; undefined when it has none */
  committedOffset(partition: MemoryPartition): number | undefined
}

export interface TopicStats {
  partitions: number
  appendedRecords: number
  /** forgotten while no group had ever subscribed to the topic (Kafka-like retention): lost to everyone */
  droppedRecords: number
  /** forgotten after every subscribed group had committed past them */
  trimmedRecords: number
  retainedRecords: number
  /** publish calls waiting for room (backpressure) right now */
  waitingPublishes: number
}

export interface MemoryBrokerOptions {
  defaultPartitions: number
  retentionRecords: number
  /** committed records kept per partition for groups that subscribe later (until the partition is full) */
  keepCommittedRecords: number
  reservations: OffsetReservations | undefined
  offsetBlockRecords: number
}

export interface MemoryBroker {
  /** creates the topic when missing (resolving once its first offsets are reserved); returns its partitions */
  ensureTopic(topic: string, partitions: number): Promise<readonly MemoryPartition[]>
  partitionsOf(topic: string): readonly MemoryPartition[] | undefined
  publish(records: readonly OutgoingRecord[]): Promise<void>
  /** from now on, records of `topic` are kept until `retainer` has committed past them */
  retain(topic: string, retainer: Retainer): void
  /** a retainer committed on `partition`: what every retainer has committed past is forgotten */
  committed(partition: MemoryPartition): void
  onTopicCreated(listener: (topic: string) => void): void
  stats(): Record<string, TopicStats>
  /** fails waiting publishes and refuses new ones */
  close(): void
}

interface Waiter {
  wake(): void
  /** set (and the waiter woken) when its publish must fail; the waiter is then out of the queue */
  error: unknown
}

interface PartitionState extends MemoryPartition {
  readonly topicState: TopicState
  /** offsets below this may be handed out (Infinity without a state directory) */
  reservedEnd: number
  /** past this offset a new reservation is requested ahead of need */
  renewAt: number
  reservation: Promise<void> | undefined
  /** publishes waiting for room, first come first served; the head appends next */
  readonly waiters: Waiter[]
  touched: boolean
}

interface TopicState {
  readonly name: string
  readonly partitions: PartitionState[]
  readonly retainers: Set<Retainer>
  nextRoundRobin: number
  appendedRecords: number
  droppedRecords: number
  trimmedRecords: number
}

const EMPTY_HEADERS: RawRecord['headers'] = Object.freeze([])
const encoder = new TextEncoder()

export function createMemoryBroker(options: MemoryBrokerOptions): MemoryBroker {
  const { retentionRecords, keepCommittedRecords, reservations, offsetBlockRecords } = options
  const topics = new Map<string, TopicState>()
  // retainers registered before their topic exists
  const pendingRetainers = new Map<string, Set<Retainer>>()
  const topicListeners: Array<(topic: string) => void> = []
  let closed = false

  function createTopic(name: string, partitionCount: number): TopicState {
    const state: TopicState = {
      name,
      partitions: [],
      retainers: pendingRetainers.get(name) ?? new Set(),
      nextRoundRobin: 0,
      appendedRecords: 0,
      droppedRecords: 0,
      trimmedRecords: 0,
    }
    pendingRetainers.delete(name)
    for (let partition = 0; partition < partitionCount; partition++) {
      const first = reservations?.firstOffset(name, partition) ?? 0
      const p: PartitionState = {
        topic: name,
        partition,
        log: createPartitionLog(name, partition, first),
        listeners: new Set(),
        topicState: state,
        reservedEnd: reservations ? first : Number.POSITIVE_INFINITY,
        renewAt: reservations ? first : Number.POSITIVE_INFINITY,
        reservation: undefined,
        waiters: [],
        touched: false,
      }
      state.partitions.push(p)
      requestReservation(p)
    }
    topics.set(name, state)
    for (const listener of topicListeners) listener(name)
    return state
  }

  function requestReservation(p: PartitionState): Promise<void> {
    if (reservations === undefined) return Promise.resolve()
    if (p.reservation) return p.reservation
    const end = p.log.endOffset + offsetBlockRecords
    const reservation = reservations.reserve(p.topic, p.partition, end).then(
      () => {
        p.reservation = undefined
        p.reservedEnd = Math.max(p.reservedEnd, end)
        p.renewAt = p.reservedEnd - Math.floor(offsetBlockRecords / 2)
        wakeHead(p)
      },
      (error: unknown) => {
        p.reservation = undefined
        // the publishes that need this reservation fail; the next one asks again
        failWaiters(p, error)
        throw error
      },
    )
    reservation.catch(() => undefined)
    p.reservation = reservation
    return reservation
  }

  /** Whether a record can be appended to `p` now, trimming or dropping what retention allows. */
  function makeRoom(p: PartitionState): boolean {
    const log = p.log
    if (log.endOffset >= p.renewAt) requestReservation(p)
    if (log.endOffset >= p.reservedEnd) return false
    if (log.size < retentionRecords) return true
    const topic = p.topicState
    if (topic.retainers.size === 0) {
      topic.droppedRecords += log.trimTo(log.startOffset + 1)
      return true
    }
    trimCommitted(p, 0)
    return log.size < retentionRecords
  }

  /** Forgets what every group retaining the topic has committed past, but the last `keepRecords` of it. */
  function trimCommitted(p: PartitionState, keepRecords: number): void {
    const log = p.log
    let floor = log.endOffset
    for (const retainer of p.topicState.retainers) {
      floor = Math.min(floor, retainer.committedOffset(p) ?? log.startOffset)
    }
    p.topicState.trimmedRecords += log.trimTo(floor - keepRecords)
  }

  async function waitTurn(p: PartitionState): Promise<void> {
    const waiter: Waiter = { wake: () => undefined, error: undefined }
    p.waiters.push(waiter)
    while (!(p.waiters[0] === waiter && makeRoom(p))) {
      await new Promise<void>((resolve) => {
        waiter.wake = resolve
      })
      if (waiter.error !== undefined) throw waiter.error
    }
  }

  function failWaiters(p: PartitionState, error: unknown): void {
    for (const waiter of p.waiters.splice(0)) {
      waiter.error = error
      waiter.wake()
    }
  }

  function wakeHead(p: PartitionState): void {
    p.waiters[0]?.wake()
  }

  const keyBytesOf = createKeyEncoder()

  function append(p: PartitionState, record: OutgoingRecord, key: Uint8Array | null, nowMs: number): void {
    const headers = record.headers ? encodeHeaders(record.headers) : EMPTY_HEADERS
    p.log.append(key, record.value, record.timestampMs ?? nowMs, headers)
    p.topicState.appendedRecords++
  }

  function notify(touched: PartitionState[]): void {
    for (const p of touched) {
      p.touched = false
      for (const listener of p.listeners) listener()
    }
  }

  return {
    async ensureTopic(topic, partitions) {
      if (closed) throw closedError()
      const state = topics.get(topic) ?? createTopic(topic, partitions)
      await Promise.all(state.partitions.map((p) => p.reservation))
      return state.partitions
    },

    partitionsOf(topic) {
      return topics.get(topic)?.partitions
    },

    async publish(records) {
      if (closed) throw closedError()
      const nowMs = Date.now()
      let touched: PartitionState[] = []
      for (const record of records) {
        const topic = topics.get(record.topic) ?? createTopic(record.topic, options.defaultPartitions)
        const count = topic.partitions.length
        let key: Uint8Array | null = null
        let index: number
        if (record.key === null) index = topic.nextRoundRobin++ % count
        else {
          const entry = keyBytesOf(record.key)
          key = entry.bytes
          index = entry.hash % count
        }
        const p = topic.partitions[index]!
        if (p.waiters.length === 0 && makeRoom(p)) {
          append(p, record, key, nowMs)
        } else {
          // let consumers see what this call appended so far: their commits are what makes room
          notify(touched)
          touched = []
          await waitTurn(p)
          append(p, record, key, nowMs)
          p.waiters.shift()
          wakeHead(p)
        }
        if (!p.touched) {
          p.touched = true
          touched.push(p)
        }
      }
      notify(touched)
    },

    retain(topic, retainer) {
      const state = topics.get(topic)
      if (state) state.retainers.add(retainer)
      else {
        const set = pendingRetainers.get(topic) ?? new Set()
        set.add(retainer)
        pendingRetainers.set(topic, set)
      }
    },

    committed(partition) {
      const p = partition as PartitionState
      // trimmed now rather than when full, so that in steady state the bus holds what some group has
      // yet to commit plus a short history for late groups, not retentionRecords per partition
      if (p.log.size > keepCommittedRecords) trimCommitted(p, keepCommittedRecords)
      wakeHead(p)
    },

    onTopicCreated(listener) {
      topicListeners.push(listener)
    },

    stats() {
      const result: Record<string, TopicStats> = {}
      for (const [name, topic] of topics) {
        result[name] = {
          partitions: topic.partitions.length,
          appendedRecords: topic.appendedRecords,
          droppedRecords: topic.droppedRecords,
          trimmedRecords: topic.trimmedRecords,
          retainedRecords: topic.partitions.reduce((sum, p) => sum + p.log.size, 0),
          waitingPublishes: topic.partitions.reduce((sum, p) => sum + p.waiters.length, 0),
        }
      }
      return result
    },

    close() {
      closed = true
      for (const topic of topics.values()) {
        for (const p of topic.partitions) failWaiters(p, closedError())
      }
    },
  }
}

function encodeHeaders(headers: Record<string, string>): RawRecord['headers'] {
  return Object.entries(headers).map(([name, value]) => [name, encoder.encode(value)] as const)
}

function closedError(): StreamwatchError {
  return new StreamwatchError('bus_unavailable', 'memory bus: closed')
}
