// Consumer B: consume -> clean -> detect -> store (ONE transaction) -> next batch.
//
// Offsets live in PostgreSQL with the rows, the anomalies and the detector's state, so a crash at
// any instant replays only what was not stored, into the same state. On assignment the consumer
// starts each partition where the store says it stands. Every commit is fenced on the offset this
// process believes is stored: if another process moved the partition on (a rebalance), the commit
// changes nothing, and the partition is reloaded from the store and the batch's remainder redone.

import type { CommitResult, EtlBatch, EtlStore } from '../adapters/postgres/etl-store.ts'
import type { Event, LogEvent, MetricEvent, Rejection, TransactionEvent } from '../contracts/events.ts'
import { type EventKind, KIND_OF_TOPIC, type TopicNames } from '../contracts/topics.ts'
import { type CleanPolicy, cleanRecords, verdictOf } from '../core/clean/index.ts'
import {
  type Anomaly,
  advanceTime,
  createDetectorState,
  type DetectResult,
  detect,
  type PartitionDetectorState,
  type Rule,
  restoreState,
  serializeState,
} from '../core/detect/index.ts'
import { StreamwatchError } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { forgetLag, recordLag } from './lag.ts'
import type { Bus, BusProducer, OutgoingRecord, RawRecord, RecordBatch, TopicPartition } from './ports.ts'
import { retryWhileRetriable } from './retry.ts'

export interface EtlDeps {
  bus: Bus
  store: EtlStore
  names: TopicNames
  rules: readonly Rule[]
  policy: CleanPolicy
  logger: Logger
  metrics?: Metrics
  /** wall clock: for the cleaner's future/age checks and for resolving episodes of idle partitions */
  now?: () => number
  /** how far behind its partition's newest event time an event still counts (default 1 s) */
  allowedLatenessMs?: number
  /** a partition with no records for this long lets the wall clock advance its event time (default 1 s) */
  idleGraceMs?: number
  maxBatchRecords?: number
  maxWaitMs?: number
  /** called after each durable batch with the running totals (for status lines) */
  onCommit?: (summary: Readonly<EtlSummary>) => void
}

/**
 * Events at most this far behind the wall clock count as live: an idle partition's event time is
 * never moved past them by the wall clock (and, for a bus that cannot report its high watermarks,
 * a partition whose newest event is this recent counts as live when it goes quiet).
 */
const LIVE_HORIZON_MS = 60_000

export interface EtlSummary {
  batches: number
  records: number
  events: number
  rejections: number
  anomalyChanges: number
  conflicts: number
}

/** What this process holds of one partition it owns. */
interface OwnedPartition extends TopicPartition {
  kind: EventKind
  /** where the store stands for this partition: the fence of the next commit; null = nothing stored */
  storedOffset: number | null
  detector: PartitionDetectorState
  /**
   * Wall time since which the partition has had no record and nothing left to read on the bus:
   * the start of its idle clock (see isIdle).
   */
  quietSinceMs: number
}

interface PreparedBatch {
  write: EtlBatch
  events: number
  anomalies: Anomaly[]
  lateByTopic: Map<string, number>
}

export async function runEtl(deps: EtlDeps, signal: AbortSignal): Promise<EtlSummary> {
  const { bus, store, names, rules, policy, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const idleGraceMs = deps.idleGraceMs ?? 1_000
  const detectOptions = { allowedLatenessMs: deps.allowedLatenessMs ?? 1_000, idleGraceMs }
  const owned = new Map<string, OwnedPartition>()
  const summary: EtlSummary = {
    batches: 0,
    records: 0,
    events: 0,
    rejections: 0,
    anomalyChanges: 0,
    conflicts: 0,
  }
  const deadLetters = bus.createProducer()
  const groupId = names.group('etl')
  const retry = (what: string) => ({
    signal,
    logger,
    what,
    onFailure: (error: unknown) =>
      metrics?.errors.inc({
        stage: 'etl',
        code: error instanceof StreamwatchError ? error.code : 'internal',
      }),
  })

  async function load(partitions: readonly TopicPartition[]): Promise<void> {
    const states = await retryWhileRetriable(() => store.loadPartitions(partitions), retry('load partitions'))
    for (const stored of states) {
      const logical = names.logical(stored.topic)
      if (!logical || logical === 'dead-letters') continue
      owned.set(partitionKey(stored), {
        topic: stored.topic,
        partition: stored.partition,
        kind: KIND_OF_TOPIC[logical],
        storedOffset: stored.nextOffset ?? null,
        detector: restoreDetector(stored.detectorState, stored, logger),
        quietSinceMs: now(),
      })
    }
  }

  const consumer = bus.createConsumer({
    groupId,
    topics: [names.full('logs'), names.full('metrics'), names.full('transactions')],
    maxBatchRecords: deps.maxBatchRecords ?? 5_000,
    maxWaitMs: deps.maxWaitMs ?? 200,
    async onAssign(partitions) {
      await load(partitions)
      logger.info({ partitions: partitions.map(partitionKey) }, 'partitions assigned')
      // PostgreSQL is the truth of where the etl stands: a partition it holds nothing of starts at
      // the earliest record the bus retains (offset 0 is clamped to it), whatever the group's
      // offsets on the bus say; so a fresh database is filled from everything retained.
      return partitions.map((tp) => ({ ...tp, offset: owned.get(partitionKey(tp))?.storedOffset ?? 0 }))
    },
    async onRevoke(partitions) {
      for (const tp of partitions) owned.delete(partitionKey(tp))
      if (metrics) forgetLag(metrics, groupId, partitions)
      logger.info({ partitions: partitions.map(partitionKey) }, 'partitions revoked')
    },
  })

  /**
   * Cleans and detects over the batch's records that the store does not hold yet, plus the idle
   * partitions whose episodes the wall clock resolves. Updates the owned detector states in place:
   * if the commit then fails for good, they are reloaded from the store.
   */
  function prepare(
    byPartition: Map<string, RawRecord[]>,
    wallMs: number,
    caughtUp: ReadonlySet<string> | undefined,
  ): PreparedBatch {
    const fetchedNothing = byPartition.size === 0
    const write: EtlBatch = {
      logs: [],
      metrics: [],
      transactions: [],
      rejections: [],
      anomalies: [],
      detectorStates: [],
      offsets: [],
    }
    const prepared: PreparedBatch = { write, events: 0, anomalies: [], lateByTopic: new Map() }
    for (const [key, records] of byPartition) {
      const partition = owned.get(key)
      if (!partition) continue // revoked while the batch was in flight: its new owner reads it
      partition.quietSinceMs = wallMs
      const fresh = skipStored(records, partition.storedOffset)
      if (fresh.length === 0) continue
      const first = fresh[0]!
      if (partition.storedOffset !== null && first.offset > partition.storedOffset) {
        logger.warn(
          { partition: key, storedOffset: partition.storedOffset, firstOffset: first.offset },
          'records missing between the stored offset and the first record read: trimmed by retention, or the in-memory bus restarted (it keeps nothing across restarts)',
        )
      }
      // events the ingest API rejected come with their verdict: stored as it was answered
      const judged: Rejection[] = []
      const unjudged = fresh.filter((record) => {
        const verdict = verdictOf(partition.kind, record)
        if (verdict) judged.push(verdict)
        return verdict === undefined
      })
      const { events, rejections } = cleanRecords(partition.kind, unjudged, policy, wallMs)
      rejections.push(...judged)
      addEvents(write, partition.kind, events)
      ;(write.rejections as Rejection[]).push(...rejections)
      prepared.events += events.length
      const result = detect(partition.detector, events, rules, detectOptions)
      addDetection(prepared, partition, result, fresh[fresh.length - 1]!.offset + 1)
    }
    for (const [key, partition] of owned) {
      if (byPartition.has(key) || partition.storedOffset === null) continue
      if (caughtUp !== undefined && !caughtUp.has(key)) partition.quietSinceMs = wallMs
      if (!isIdle(partition, wallMs, caughtUp?.has(key), fetchedNothing)) continue
      // The partition's event time moves on by the time it has been quiet, from its newest event,
      // not to the wall clock, which would make every event of a live producer running behind it
      // (a clock skew, a backlog it sends after an outage) late after each quiet spell. Events
      // more than LIVE_HORIZON_MS behind the wall clock are history (a backfill, a replay): once
      // caught up on them, the watermark goes to that horizon at once, so their last windows
      // close and their episodes resolve without waiting out the windows in wall time.
      const eventClockMs = Math.max(
        partition.detector.maxEventTsMs! + (wallMs - partition.quietSinceMs),
        wallMs - LIVE_HORIZON_MS,
      )
      const result = advanceTime(partition.detector, eventClockMs, rules, detectOptions)
      if (result.changes.length > 0) addDetection(prepared, partition, result, partition.storedOffset)
    }
    return prepared
  }

  /**
   * Whether a partition's event time may move on without events (resolving the episodes of keys
   * that went silent). Not while the etl is behind on the partition: its records would then
   * arrive behind the moved watermark and count as late, and the anomalies in them go unseen.
   * So: quiet for idleGraceMs, where quiet means no record and, as the bus reports it, nothing
   * left to read (the high watermark reached); a failed fetch or a rebalance reports nothing, so
   * an outage of the bus never counts as quiet. `caughtUp` is undefined for a bus that cannot
   * tell: then a guess from wall time, which fails when a backlog builds up: the whole fetch
   * came back empty, or the partition's newest event is recent (it was live when it went quiet).
   */
  function isIdle(
    partition: OwnedPartition,
    wallMs: number,
    caughtUp: boolean | undefined,
    fetchedNothing: boolean,
  ): boolean {
    if (wallMs - partition.quietSinceMs < idleGraceMs) return false
    const newestMs = partition.detector.maxEventTsMs
    if (newestMs === null) return false
    if (caughtUp !== undefined) return caughtUp
    return fetchedNothing || newestMs >= wallMs - LIVE_HORIZON_MS
  }

  /**
   * Idleness counts only time spent fetching: while a batch is processed (or its commit waits out
   * a PostgreSQL outage) nothing is fetched, so the silence of the other partitions says nothing.
   * Without this, after a stall longer than idleGraceMs every partition missing from the next
   * batch looked idle, the wall clock moved its watermark past its backlog, and the backlog's
   * events then counted as late: an error burst in flight during an outage went undetected.
   */
  function holdIdleClocks(busyMs: number): void {
    if (!(busyMs > 0)) return
    for (const partition of owned.values()) partition.quietSinceMs += busyMs
  }

  async function commit(batch: RecordBatch): Promise<void> {
    const byPartition = groupByPartition(batch.records)
    const caughtUp = batch.lag && new Set(batch.lag.filter((p) => p.records === 0).map(partitionKey))
    for (let attempt = 0; ; attempt++) {
      const prepared = prepare(byPartition, now(), caughtUp)
      const { write } = prepared
      if (write.offsets.length === 0) return
      let written: CommitResult
      try {
        await publishDeadLetters(deadLetters, write.rejections, names, retry('publish dead letters'))
        written = await retryWhileRetriable(() => store.commitBatch(write), retry('commit batch'))
      } catch (error) {
        if (!(error instanceof StreamwatchError && error.code === 'db_conflict') || attempt >= 5) throw error
        // Another consumer moved a partition on (rebalance), or a commit whose answer was lost did
        // happen. Reload where the store stands and redo what of this batch is still to do.
        summary.conflicts += 1
        logger.warn(
          { err: error, attempt },
          'offsets moved under us: reloading the partitions from the store',
        )
        await load(write.offsets.filter((tp) => owned.has(partitionKey(tp))))
        continue
      }
      for (const advance of write.offsets) {
        const partition = owned.get(partitionKey(advance))
        if (partition) partition.storedOffset = advance.offset
      }
      record(prepared, written)
      deps.onCommit?.(summary)
      return
    }
  }

  /** Counts what the commit actually wrote: a redelivered event is received again, not written again. */
  function record(prepared: PreparedBatch, written: CommitResult): void {
    const { write } = prepared
    summary.events += prepared.events
    summary.rejections += write.rejections.length
    summary.anomalyChanges += prepared.anomalies.length
    if (!metrics) return
    metrics.eventsWritten.inc({ stage: 'etl', topic: names.full('logs') }, written.logs)
    metrics.eventsWritten.inc({ stage: 'etl', topic: names.full('metrics') }, written.metrics)
    metrics.eventsWritten.inc({ stage: 'etl', topic: names.full('transactions') }, written.transactions)
    for (const rejection of write.rejections) {
      metrics.eventsRejected.inc({ stage: 'etl', topic: rejection.source.topic, reason: rejection.reason })
    }
    for (const [topic, late] of prepared.lateByTopic) metrics.lateEvents.inc({ topic }, late)
    for (const anomaly of prepared.anomalies) {
      metrics.anomalyChanges.inc({ rule: anomaly.rule, change: anomaly.status })
    }
  }

  try {
    for await (const batch of consumer.batches(signal)) {
      const startedAt = performance.now()
      const busySinceMs = now()
      summary.batches += 1
      summary.records += batch.records.length
      for (const r of batch.records) metrics?.eventsReceived.inc({ stage: 'etl', topic: r.topic })
      await commit(batch)
      holdIdleClocks(now() - busySinceMs)
      if (metrics && batch.lag) recordLag(metrics, groupId, batch.lag)
      if (batch.nextOffsets.length > 0) {
        // The group's offsets in Kafka are for monitoring (lag); the truth is in PostgreSQL.
        await consumer.commit(batch.nextOffsets).catch((error: unknown) => {
          logger.warn({ err: error }, 'committing group offsets to the bus failed (monitoring only)')
        })
      }
      if (batch.records.length > 0) {
        metrics?.batchSeconds.observe({ stage: 'etl' }, (performance.now() - startedAt) / 1000)
        metrics?.batchRecords.observe({ stage: 'etl' }, batch.records.length)
      }
    }
  } finally {
    await consumer.close()
    await deadLetters.close()
  }
  return summary
}

function addEvents(write: EtlBatch, kind: EventKind, events: readonly Event[]): void {
  switch (kind) {
    case 'log':
      ;(write.logs as LogEvent[]).push(...(events as LogEvent[]))
      return
    case 'metric':
      ;(write.metrics as MetricEvent[]).push(...(events as MetricEvent[]))
      return
    case 'transaction':
      ;(write.transactions as TransactionEvent[]).push(...(events as TransactionEvent[]))
      return
  }
}

function addDetection(
  prepared: PreparedBatch,
  partition: OwnedPartition,
  result: DetectResult,
  nextOffset: number,
): void {
  const { write } = prepared
  for (const change of result.changes) {
    ;(write.anomalies as Anomaly[]).push(change.anomaly)
    prepared.anomalies.push(change.anomaly)
  }
  if (result.lateEvents > 0) {
    prepared.lateByTopic.set(
      partition.topic,
      (prepared.lateByTopic.get(partition.topic) ?? 0) + result.lateEvents,
    )
  }
  const tp = { topic: partition.topic, partition: partition.partition }
  ;(write.detectorStates as EtlBatch['detectorStates'][number][]).push({
    ...tp,
    state: serializeState(partition.detector),
  })
  ;(write.offsets as EtlBatch['offsets'][number][]).push({
    ...tp,
    offset: nextOffset,
    expectedOffset: partition.storedOffset,
  })
}

/** Rejections also go to the `dead-letters` topic: the raw bytes as the value, why and whence in headers. */
async function publishDeadLetters(
  producer: BusProducer,
  rejections: readonly Rejection[],
  names: TopicNames,
  retry: Parameters<typeof retryWhileRetriable>[1],
): Promise<void> {
  if (rejections.length === 0) return
  const topic = names.full('dead-letters')
  const records: OutgoingRecord[] = rejections.map((r) => ({
    topic,
    key: r.key,
    value: r.raw ?? new Uint8Array(0),
    headers: {
      reason: r.reason,
      message: r.message,
      'source-topic': r.source.topic,
      'source-partition': String(r.source.partition),
      'source-offset': String(r.source.offset),
    },
  }))
  await retryWhileRetriable(() => producer.publish(records), retry)
}

function restoreDetector(json: unknown, tp: TopicPartition, logger: Logger): PartitionDetectorState {
  if (json === undefined || json === null) return createDetectorState()
  const restored = restoreState(json)
  if ('state' in restored) return restored.state
  // A state this version cannot read (e.g. written by a newer one): start the windows afresh
  // rather than stop the pipeline; anomalies already stored stay as they are.
  logger.error(
    { partition: partitionKey(tp), reason: restored.error },
    'detector state unreadable: starting afresh',
  )
  return createDetectorState()
}

function skipStored(records: RawRecord[], storedOffset: number | null): RawRecord[] {
  if (storedOffset === null || records.length === 0 || records[0]!.offset >= storedOffset) return records
  return records.filter((r) => r.offset >= storedOffset)
}

function groupByPartition(records: readonly RawRecord[]): Map<string, RawRecord[]> {
  const groups = new Map<string, RawRecord[]>()
  for (const record of records) {
    const key = partitionKey(record)
    const group = groups.get(key)
    if (group) group.push(record)
    else groups.set(key, [record])
  }
  return groups
}

function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`
}
