// The lake sink: consume every topic -> cut each partition into objects -> store each object
// (checkpoint intent, then the object) -> commit offsets -> next batch. Reads top to bottom as
// the flow; the store protocol is in lake-archive.ts, the cutting rules in core/lake.
//
// Exactly once, across crashes, restarts and rebalances:
// - Where a partition resumes comes from the lake, not from the bus: on assignment, its
//   checkpoint (or a listing) says what is archived, and the consumer seeks there (onAssign).
//   Offsets are committed to the bus only after their object is stored, for lag and monitoring;
//   they never decide what is archived again.
// - Object names are a function of their records (topic, partition, first and last offset), and
//   the only object a restart must rebuild exactly, the one a crash may have left half-done, is
//   named in the checkpoint written before it; its range is rebuilt whatever the size, count,
//   hour and age rules say. So objects never overlap and never leave a gap, and age-based
//   (wall-clock) flushing is safe: a restart never needs to reproduce an earlier run's boundaries.
// - A partition taken away (revoked) is forgotten at once: its buffered records are read again
//   by its next owner from the lake's end, and an object of it that is being stored stops before
//   its next write (ownership epochs).
//
// Bounded memory and backpressure: one bus batch in flight; buffered records bounded by
// `maxBufferedBytes` (the largest buffers are stored first past it). While the store is down,
// the loop waits in the retry and fetches nothing; nothing is committed ahead of the store.
import type { LakeBatcherLimits, SealedObject } from '../core/lake/lake-batcher.ts'
import { createLakeBatcher } from '../core/lake/lake-batcher.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { forgetLag, recordLag } from './lag.ts'
import { createLakeArchive, partitionId, type RetryPolicy } from './lake-archive.ts'
import type { Bus, ObjectStore, PartitionOffset, RecordBatch, TopicPartition } from './ports.ts'

export interface LakeSinkOptions extends LakeBatcherLimits {
  /** full topic names */
  topics: string[]
  groupId: string
  /** bounds of one bus batch */
  maxBatchRecords: number
  maxBatchBytes: number
  retry: RetryPolicy
  gzipLevel: number
  /** objects of different partitions stored at once */
  maxConcurrentPuts: number
  /** after a stop is asked: how long the final flush may wait for a store that is down */
  shutdownTimeoutMs: number
}

export const LAKE_SINK_DEFAULTS = {
  maxObjectBytes: 64 * 1024 * 1024,
  maxObjectRecords: 100_000,
  maxBufferAgeMs: 10_000,
  maxBufferedBytes: 256 * 1024 * 1024,
  maxBatchRecords: 5_000,
  maxBatchBytes: 4 * 1024 * 1024,
  retry: { initialDelayMs: 200, maxDelayMs: 10_000 },
  gzipLevel: 6,
  maxConcurrentPuts: 4,
  shutdownTimeoutMs: 30_000,
} satisfies Omit<LakeSinkOptions, 'topics' | 'groupId'>

export interface LakeSinkDeps {
  bus: Bus
  store: ObjectStore
  logger: Logger
  /** wall clock, for age-based flushing only */
  nowMs?: () => number
  /** for streamwatch_consumer_lag_records (records not read yet, per partition) */
  metrics?: Metrics
}

export interface LakeSinkStats {
  recordsReceived: number
  recordsArchived: number
  /** records read again below where their partition resumed, and dropped */
  recordsSkipped: number
  objectsStored: number
  bytesUncompressed: number
  bytesStored: number
  storeRetries: number
  bufferedRecords: number
}

export interface LakeSink {
  /** Runs until `signal` aborts; then stores what is buffered, commits, and leaves the group. */
  run(signal: AbortSignal): Promise<void>
  stats(): LakeSinkStats
}

export function createLakeSink(deps: LakeSinkDeps, options: LakeSinkOptions): LakeSink {
  const { bus, store } = deps
  const logger = deps.logger.child({ stage: 'lake-sink' })
  const nowMs = deps.nowMs ?? Date.now
  const batcher = createLakeBatcher(options)
  const archive = createLakeArchive({ store, logger, retry: options.retry, gzipLevel: options.gzipLevel })
  /** owned partitions -> the epoch of this ownership (a partition revoked and assigned again gets a new one) */
  const owned = new Map<string, number>()
  /** per partition: every offset below is archived */
  const archivedNext = new Map<string, number>()
  let epochs = 0
  const stats = {
    recordsReceived: 0,
    recordsArchived: 0,
    objectsStored: 0,
    bytesUncompressed: 0,
    bytesStored: 0,
  }

  async function onAssign(partitions: TopicPartition[], signal: AbortSignal): Promise<PartitionOffset[]> {
    const resumes = await archive.recover(partitions, signal)
    const seeks: PartitionOffset[] = []
    for (const tp of partitions) {
      const id = partitionId(tp)
      const resume = resumes.get(id)
      owned.set(id, ++epochs)
      archivedNext.delete(id)
      batcher.forget([tp])
      if (!resume) continue
      batcher.resume(tp.topic, tp.partition, resume)
      archivedNext.set(id, resume.nextOffset)
      seeks.push({ ...tp, offset: resume.nextOffset })
    }
    logger.info({ partitions: partitions.length, resumed: seeks.length }, 'partitions assigned')
    return seeks
  }

  function onRevoke(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      owned.delete(partitionId(tp))
      archivedNext.delete(partitionId(tp))
    }
    batcher.forget(partitions)
    if (deps.metrics) forgetLag(deps.metrics, options.groupId, partitions)
    logger.info({ partitions: partitions.length }, 'partitions revoked; their buffers are dropped')
  }

  /** Stores sealed objects (in order within a partition, partitions in parallel); returns what to commit. */
  async function store_(sealed: SealedObject[], signal: AbortSignal): Promise<PartitionOffset[]> {
    const byPartition = new Map<string, SealedObject[]>()
    for (const object of sealed) {
      const id = partitionId(object)
      const list = byPartition.get(id)
      if (list) list.push(object)
      else byPartition.set(id, [object])
    }
    const commits: PartitionOffset[] = []
    const queues = [...byPartition.entries()]
    let next = 0
    const worker = async () => {
      while (next < queues.length) {
        const [id, objects] = queues[next++]!
        const epoch = owned.get(id)
        const stillOwned = () => epoch !== undefined && owned.get(id) === epoch
        for (const object of objects) {
          const storedBytes = await archive.archive(object, archivedNext.get(id), stillOwned, signal)
          if (storedBytes === undefined) break
          archivedNext.set(id, object.lastOffset + 1)
          deps.metrics?.eventsWritten.inc({ stage: 'lake', topic: object.topic }, object.records)
          stats.objectsStored++
          stats.recordsArchived += object.records
          stats.bytesUncompressed += object.bytes
          stats.bytesStored += storedBytes
          logger.debug(
            {
              key: object.key,
              records: object.records,
              bytes: object.bytes,
              storedBytes,
              reason: object.reason,
            },
            'object stored',
          )
        }
        const last = archivedNext.get(id)
        if (last !== undefined && stillOwned()) {
          commits.push({ topic: objects[0]!.topic, partition: objects[0]!.partition, offset: last })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.maxConcurrentPuts, queues.length) }, worker))
    return commits
  }

  let retriesCounted = 0
  function recordBatch(metrics: Metrics, batch: RecordBatch, startedAt: number): void {
    if (batch.lag) recordLag(metrics, options.groupId, batch.lag)
    if (batch.records.length > 0)
      metrics.batchSeconds.observe({ stage: 'lake' }, (performance.now() - startedAt) / 1000)
    const retries = archive.retries
    if (retries > retriesCounted)
      metrics.errors.inc({ stage: 'lake', code: 'store_unavailable' }, retries - retriesCounted)
    retriesCounted = retries
  }

  return {
    async run(signal) {
      // The consumer gets a signal of its own: on stop, the loop first stores what is buffered
      // and commits, and only then ends the iteration, which leaves the group (onRevoke).
      const consuming = new AbortController()
      // Store calls (and their retries while the store is down) may go on for `shutdownTimeoutMs`
      // after a stop is asked, so the final flush gets its chance, and then give up: what was not
      // stored was not committed either, and the next start reads it again.
      const giveUp = new AbortController()
      const storeSignal = giveUp.signal
      const onStop = () => setTimeout(() => giveUp.abort(), options.shutdownTimeoutMs).unref()
      signal.addEventListener('abort', onStop, { once: true })
      if (signal.aborted) onStop()
      const consumer = bus.createConsumer({
        groupId: options.groupId,
        topics: options.topics,
        maxBatchRecords: options.maxBatchRecords,
        maxBatchBytes: options.maxBatchBytes,
        maxWaitMs: Math.max(50, Math.min(1_000, options.maxBufferAgeMs / 2)),
        onAssign: (partitions) => onAssign(partitions, storeSignal),
        onRevoke: async (partitions) => onRevoke(partitions),
      })
      const commit = async (offsets: PartitionOffset[]) => {
        if (offsets.length === 0) return
        // The lake, not the group's offsets, decides where a partition resumes: a failed commit
        // costs a re-read that the resume skips, never a duplicate.
        await consumer.commit(offsets).catch((error: unknown) => logger.warn({ err: error }, 'commit failed'))
      }
      logger.info({ topics: options.topics, group: options.groupId, store: store.url }, 'lake sink started')
      try {
        for await (const batch of consumer.batches(consuming.signal)) {
          const startedAt = performance.now()
          const sealed: SealedObject[] = []
          const now = nowMs()
          const received = new Map<string, number>()
          for (const record of batch.records) {
            if (!owned.has(partitionId(record))) continue
            stats.recordsReceived++
            received.set(record.topic, (received.get(record.topic) ?? 0) + 1)
            for (const object of batcher.add(record, now)) sealed.push(object)
          }
          for (const [topic, count] of received)
            deps.metrics?.eventsReceived.inc({ stage: 'lake', topic }, count)
          sealed.push(...batcher.sealToFit(), ...batcher.sealAged(now))
          if (signal.aborted) {
            sealed.push(...batcher.sealAll())
            await commit(await store_(sealed, storeSignal))
            break
          }
          if (sealed.length > 0) await commit(await store_(sealed, storeSignal))
          if (deps.metrics) recordBatch(deps.metrics, batch, startedAt)
        }
      } finally {
        signal.removeEventListener('abort', onStop)
        consuming.abort()
        await consumer.close()
        logger.info(currentStats(), 'lake sink stopped')
      }
    },
    stats: currentStats,
  }

  function currentStats(): LakeSinkStats {
    return {
      ...stats,
      recordsSkipped: batcher.skippedRecords,
      storeRetries: archive.retries,
      bufferedRecords: batcher.bufferedRecords,
    }
  }
}
