// BusConsumer on @platformatic/kafka. The client runs the group protocol (join, sync, heartbeats,
// leave); the fetch loop is ours, on the client's lower-level fetch(), because its MessagesStream
// pushes a whole fetch response (50 MiB by default) whatever its highWaterMark, cannot seek once
// started, and keeps emitting buffered records of partitions the group has taken away.
//
// Lifecycle: batches() joins the group and leaves it (onRevoke first) when the iteration ends;
// while nothing arrives it yields an empty batch every maxWaitMs; close() ends a running
// iteration, leaves, and releases the client. Commits are allowed until then, onRevoke included.
//
// Rebalances and the batch in flight (read this before changing anything below):
// - The group uses Kafka's classic protocol with an eager assignor: when a member joins or leaves,
//   every member gives up all its partitions, rejoins, and receives a new assignment.
// - The client rejoins on its own as soon as a heartbeat (or a commit) reports a rebalance. Before
//   it sends JoinGroup it asks us for the subscription's user data (`protocolsMetadata`); we use
//   that as the hook Kafka's Java client calls onPartitionsRevoked from: stop fetching, wait until
//   the caller is done with the batch it holds (it asked for the next one, or it is committing),
//   call onRevoke for every owned partition, then let the JoinGroup go. The wait is bounded by
//   half the session timeout, so a stuck caller cannot get the member expelled.
// - When the new generation is known, before the next batch, onAssign runs for the partitions
//   received, and each starts where onAssign says, else at the group's committed offset, else at
//   the earliest. Records fetched before the hand-over are dropped, never yielded.
// - So a caller that commits each batch before asking for the next hands over exactly: the next
//   owner starts at the last commit. A caller slower than the bound, or a member expelled by its
//   session timeout, can see its batch processed again by the next owner: redelivery, never loss,
//   since offsets only ever point at records nobody has durably stored. The etl fences with the
//   offsets it stores in PostgreSQL (seek in onAssign; rows and offsets in one transaction).
import { ConnectionPool, Consumer } from '@platformatic/kafka'
import { StreamwatchError } from '../../errors.ts'
import type { Logger } from '../../observability/logger.ts'
import type {
  BusConsumer,
  ConsumerOptions,
  PartitionLag,
  PartitionOffset,
  RecordBatch,
  TopicPartition,
} from '../../pipelines/ports.ts'
import { BATCH_DEFAULTS, createBatchBuffer } from './batch-buffer.ts'
import { type FetchPosition, fetchRecords } from './fetch-records.ts'
import { toBusError } from './kafka-errors.ts'
import { createRetryBackoff } from './retry-backoff.ts'
import { keyOf, resolveStartOffsets } from './start-offsets.ts'
import { createWakeSignal, unlessAborted } from './wake-signal.ts'

export interface KafkaConsumerSettings {
  brokers: string[]
  clientId: string
  logger: Logger
  retries: number
  retryDelayMs: number
  requestTimeoutMs: number
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
  /**
   * Most bytes one fetch brings in (at least maxBatchBytes). The consumer fetches only when its
   * buffer is empty and the loop asks for a batch, so this bounds what it holds beyond the batch
   * in flight; bigger fetches need fewer round trips to the broker.
   */
  fetchMaxBytes: number
}

export const DEFAULT_MAX_WAIT_MS = 500

export function createKafkaConsumer(settings: KafkaConsumerSettings, options: ConsumerOptions): BusConsumer {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS
  const maxBatchBytes = options.maxBatchBytes ?? BATCH_DEFAULTS.maxBatchBytes
  const fetchMaxBytes = Math.max(maxBatchBytes, settings.fetchMaxBytes)
  const holdBoundMs = settings.sessionTimeoutMs / 2
  const logger = settings.logger.child({ stage: 'kafka-consumer', group: options.groupId })
  const client = new Consumer({
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    groupId: options.groupId,
    autocommit: false,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(settings.rebalanceTimeoutMs, settings.sessionTimeoutMs),
    retries: settings.retries,
    retryDelay: settings.retryDelayMs,
    timeout: settings.requestTimeoutMs,
    connectTimeout: settings.requestTimeoutMs,
    maxWaitTime: maxWaitMs,
    protocolsMetadata: async () => {
      await revokeBeforeRejoin()
      return Buffer.alloc(0)
    },
  })
  // Fetches long-poll for up to maxWaitMs: on connections of their own they never hold up the
  // heartbeats and commits, which the broker answers in order per connection.
  const fetchPool = new ConnectionPool(`${settings.clientId}-fetch`, {
    connectTimeout: settings.requestTimeoutMs,
    requestTimeout: maxWaitMs + settings.requestTimeoutMs,
  })

  /** owned partitions (onAssign has run for them, onRevoke not yet) and where their next fetch starts */
  const owned = new Map<string, FetchPosition>()
  const buffer = createBatchBuffer(options)
  /**
   * By `topic:partition`: the log end (high watermark) in the last fetch answer that gave one. Kept
   * across rebalances, for the client's fetch sessions (KIP-227): the broker leaves a partition
   * out of its answer while nothing about it changed, so a partition we own again, already read
   * to its end, may never be answered for; its last known end is still right then.
   */
  const logEnds = new Map<string, number>()
  /** the generation whose assignment `owned` holds; -1: none */
  let appliedGeneration = -1
  /** the latest assignment the client has completed a join for */
  let joined: { generationId: number; partitions: TopicPartition[] } | null = null
  let rebalancing = false
  let membershipLost = false
  /** bumped whenever `owned` changes, so that a fetch started before is discarded */
  let ownershipVersion = 0
  /** the caller has a batch and has neither asked for the next nor started to commit */
  let holding = false
  let committing = 0
  /** onRevoke or onAssign running: the loop waits for it before anything else */
  let handover: Promise<void> | undefined
  let handoverError: unknown
  let iterating = false
  let closed = false
  let closing: Promise<void> | undefined
  const stopping = new AbortController()
  const wakeSignal = createWakeSignal()
  const backoff = createRetryBackoff({ logger, retryDelayMs: settings.retryDelayMs, wait: wakeSignal.wait })

  client.on('consumer:group:join', (payload) => {
    const partitions = (payload.assignments ?? []).flatMap((a) =>
      a.partitions.map((p) => ({ topic: a.topic, partition: p })),
    )
    joined = { generationId: payload.generationId ?? client.generationId, partitions }
    rebalancing = false
    membershipLost = false
    logger.info({ generationId: joined.generationId, partitions: partitions.length }, 'joined group')
    wakeSignal.wake()
  })
  client.on('consumer:group:rebalance', () => {
    rebalancing = true
    wakeSignal.wake()
  })
  // Emitted when the client's own rejoin after a failed heartbeat gave up: it will not try again,
  // so the loop rejoins. Without a listener, Node would throw it as an uncaught 'error' event.
  client.on('error', (error: unknown) => {
    membershipLost = true
    logger.warn({ err: toBusError('rejoin group', error) }, 'group membership lost')
    wakeSignal.wake()
  })
  client.on('consumer:heartbeat:stalled', (payload) => {
    logger.warn({ stalledForMs: payload.stalledFor }, 'heartbeats stalled')
  })

  function assignment(): TopicPartition[] {
    return [...owned.values()].map(({ topic, partition }) => ({ topic, partition }))
  }

  /** Runs onRevoke or onAssign work one at a time; the loop awaits it before its next step. */
  function runHandover(work: () => Promise<void>): Promise<void> {
    const run = (handover ?? Promise.resolve()).then(work)
    const settled = run.catch((error: unknown) => {
      handoverError ??= error
    })
    handover = settled
    void settled.then(() => {
      if (handover === settled) handover = undefined
    })
    return run
  }

  function revokeAll(): Promise<void> {
    return runHandover(async () => {
      const revoked = assignment()
      owned.clear()
      ownershipVersion++
      buffer.clear()
      appliedGeneration = -1
      if (revoked.length > 0) await options.onRevoke?.(revoked)
    })
  }

  /** The client's hook before every JoinGroup: see the comment at the top. */
  async function revokeBeforeRejoin(): Promise<void> {
    rebalancing = true
    wakeSignal.wake()
    const deadline = Date.now() + holdBoundMs
    while (holding && committing === 0 && Date.now() < deadline && !stopping.signal.aborted) {
      await wakeSignal.wait(100, stopping.signal)
    }
    if (holding && committing === 0 && !stopping.signal.aborted) {
      logger.warn(
        { heldForMs: holdBoundMs },
        'rejoining while the caller still holds a batch; it may be redelivered',
      )
    }
    // Bounded too: onRevoke may commit, and a commit the broker refuses makes the client rejoin,
    // which calls this hook again while the first onRevoke still waits for that commit. The loop
    // yields nothing until the queued revocation has run, and rethrows onRevoke's error.
    const revoked = revokeAll().catch(() => undefined)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([revoked, new Promise((resolve) => (timer = setTimeout(resolve, holdBoundMs)))])
    clearTimeout(timer)
  }

  async function join(signal: AbortSignal): Promise<void> {
    client.topics.trackAll(...options.topics)
    while (!signal.aborted) {
      try {
        await unlessAborted(client.joinGroup({}), signal)
        membershipLost = false
        backoff.succeeded()
        return
      } catch (error) {
        await backoff.failed(`join group ${options.groupId}`, error, signal)
      }
    }
  }

  /** Applies the latest assignment the client has joined with, if not applied yet. */
  function applyAssignment(signal: AbortSignal): Promise<void> {
    return runHandover(async () => {
      while (
        joined !== null &&
        joined.generationId !== appliedGeneration &&
        !signal.aborted &&
        !rebalancing
      ) {
        const next = joined
        // Kafka's eager protocol revokes everything before a rejoin; this catches a rejoin we missed.
        const leftover = assignment()
        owned.clear()
        ownershipVersion++
        buffer.clear()
        if (leftover.length > 0) await options.onRevoke?.(leftover)
        const starts = await resolveStartOffsets({
          client,
          assigned: next.partitions,
          onAssign: options.onAssign,
          backoff,
          signal,
        })
        // onAssign has run for them: owned until onRevoke, even when a rebalance began meanwhile
        // (its revocation is queued behind this, and nothing is fetched while it is pending).
        for (const tp of next.partitions)
          owned.set(keyOf(tp), { ...tp, nextFetch: starts.get(keyOf(tp)) ?? 0 })
        appliedGeneration = next.generationId
        logger.info(
          { generationId: next.generationId, partitions: next.partitions.length },
          'assignment applied',
        )
      }
    })
  }

  async function nextBatch(signal: AbortSignal): Promise<RecordBatch | undefined> {
    if (handover) await handover
    if (handoverError !== undefined) throw handoverError
    if (membershipLost) await join(signal)
    if (joined !== null && joined.generationId !== appliedGeneration && !rebalancing)
      await applyAssignment(signal)
    if (handoverError !== undefined) throw handoverError
    if (signal.aborted) return undefined
    if (rebalancing || !client.isActive() || owned.size === 0) {
      await wakeSignal.wait(maxWaitMs, signal)
      return signal.aborted ? undefined : emptyBatch()
    }
    const buffered = buffer.take(owned)
    if (buffered) return withProgress(buffered)
    const version = ownershipVersion
    try {
      const outcome = await fetchRecords({
        client,
        pool: fetchPool,
        topics: options.topics,
        positions: owned,
        maxBytes: fetchMaxBytes,
        signal,
      })
      backoff.succeeded()
      if (outcome === undefined) return undefined
      if (version !== ownershipVersion || rebalancing) return emptyBatch()
      for (const [key, next] of outcome.nextFetch) {
        const position = owned.get(key)
        if (position) position.nextFetch = next
      }
      for (const [key, logEnd] of outcome.logEnds) logEnds.set(key, logEnd)
      // Out of range: deleted by retention, or a stored offset past the end of a recreated topic.
      // Restart at the log start, the earliest record still there: the choice that loses least.
      for (const { topic, partition, offset } of outcome.outOfRange) {
        const position = owned.get(keyOf({ topic, partition }))
        if (!position) continue
        logger.warn(
          { topic, partition, from: position.nextFetch, to: offset },
          'offset out of range; restarting at the log start',
        )
        position.nextFetch = offset
      }
      buffer.fill(outcome.records)
      return withProgress(buffer.take(owned) ?? emptyBatch())
    } catch (error) {
      if (signal.aborted) return undefined
      await backoff.failed('fetch', error, signal)
      return emptyBatch()
    }
  }

  /**
   * Adds what the caller is behind on once it has this batch: per partition, what it has not
   * been handed yet, up to the log end of the last fetch answer that gave one.
   */
  function withProgress(batch: RecordBatch): RecordBatch {
    const lag: PartitionLag[] = []
    for (const [key, p] of owned) {
      const logEnd = logEnds.get(key)
      if (logEnd === undefined) continue
      const records = Math.max(0, logEnd - p.nextFetch) + buffer.holding(key)
      lag.push({ topic: p.topic, partition: p.partition, records })
    }
    batch.lag = lag
    return batch
  }

  /** Gives the partitions back (onRevoke) and leaves the group; the client stays open for commits. */
  async function leave(): Promise<void> {
    await revokeAll()
    joined = null
    if (client.memberId !== null) {
      // (The callback form: the typings resolve leaveGroup() without arguments to the void overload.)
      await new Promise<void>((resolve) =>
        client.leaveGroup(false, (error) => {
          if (error) logger.warn({ err: toBusError('leave group', error) }, 'leaving the group failed')
          resolve()
        }),
      )
    }
  }

  return {
    async *batches(signal) {
      if (closed) return
      if (iterating)
        throw new StreamwatchError('internal', 'kafka: batches() is already running on this consumer')
      iterating = true
      handoverError = undefined
      const active = AbortSignal.any([signal, stopping.signal])
      try {
        await join(active)
        for (;;) {
          const batch = await nextBatch(active)
          if (batch === undefined) return
          holding = true
          yield batch
          holding = false
          wakeSignal.wake()
        }
      } finally {
        holding = false
        iterating = false
        await leave()
      }
    },

    async commit(offsets: readonly PartitionOffset[]) {
      if (offsets.length === 0) return
      if (client.closed) throw new StreamwatchError('bus_unavailable', 'kafka: commit on a closed consumer')
      committing++
      wakeSignal.wake()
      try {
        await client.commit({
          offsets: offsets.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: BigInt(o.offset),
            leaderEpoch: -1,
          })),
        })
      } catch (error) {
        throw toBusError(`commit offsets of group ${options.groupId}`, error)
      } finally {
        committing--
      }
    },

    assignment,

    close() {
      closing ??= (async () => {
        closed = true
        stopping.abort()
        wakeSignal.wake()
        try {
          // A running iteration leaves the group as it ends; wait for that, or leave here.
          // (Not while the caller holds a batch: the generator resumes only when it asks for the next.)
          while (iterating && !holding) await new Promise((resolve) => setTimeout(resolve, 10))
          if (joined !== null || owned.size > 0) await leave()
        } finally {
          await fetchPool.close().catch(() => undefined)
          await client.close().catch((error: unknown) => {
            throw toBusError(`close consumer of group ${options.groupId}`, error)
          })
        }
      })()
      return closing
    },
  }
}

/** Nothing to hand out, and no lag known (the fetch failed, or a rebalance runs). */
function emptyBatch(): RecordBatch {
  return { records: [], nextOffsets: [], lag: [] }
}
