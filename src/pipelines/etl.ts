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
  createDetectorState,
  type DetectResult,
  detect,
  type LateEvents,
  type PartitionDetectorState,
  passTime,
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
  /** wall clock: for the cleaner's future/age checks and for the time keys have been silent */
  now?: () => number
  /** how far behind its key's newest event time an event still counts (default 1 s) */
  allowedLatenessMs?: number
  /** a key silent for this long (while the etl is caught up) has its clock run on without it (default 1 s) */
  idleGraceMs?: number
  maxBatchRecords?: number
  maxWaitMs?: number
  /** called after each durable batch with the running totals (for status lines) */
  onCommit?: (summary: Readonly<EtlSummary>) => void
}

/** Late events are logged per topic and rule at most this often, with what was late in between. */
const LATE_LOG_INTERVAL_MS = 60_000

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
   * Wall time since which the partition has been live: the etl caught up on it (nothing left to
   * read on the bus) and fetching. Null while it is behind, or nothing says it is not (a failed
   * fetch, a rebalance): that time does not count as its keys' silence (see passLiveTime).
   */
  liveSinceMs: number | null
}

interface PreparedBatch {
  write: EtlBatch
  events: number
  anomalies: Anomaly[]
  late: LateInPartition[]
}

/** A rule's late events in one partition's batch; `topic` is the full topic name. */
interface LateInPartition extends Omit<LateEvents, 'topic'> {
  topic: string
  partition: number
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
        liveSinceMs: null,
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
   * Cleans and detects over the batch's records that the store does not hold yet, after telling
   * each partition's detector how long it has been live since the last batch (so the episodes of
   * keys that went silent resolve, in busy and idle partitions alike). Updates the owned detector
   * states in place: if the commit then fails for good, they are reloaded from the store.
   */
  function prepare(
    byPartition: Map<string, RawRecord[]>,
    wallMs: number,
    caughtUp: ReadonlySet<string> | undefined,
  ): PreparedBatch {
    const write: EtlBatch = {
      logs: [],
      metrics: [],
      transactions: [],
      rejections: [],
      anomalies: [],
      detectorStates: [],
      offsets: [],
    }
    const prepared: PreparedBatch = { write, events: 0, anomalies: [], late: [] }
    for (const [key, partition] of owned) {
      const records = byPartition.get(key)
      const passed = passLiveTime(partition, wallMs, caughtUp === undefined || caughtUp.has(key))
      const fresh = records ? skipStored(records, partition.storedOffset) : []
      if (fresh.length === 0) {
        // nothing new to store: only what the live time changed, if anything
        if (passed && passed.changes.length > 0 && partition.storedOffset !== null)
          addDetection(prepared, partition, passed, partition.storedOffset)
        continue
      }
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
      if (passed && passed.changes.length > 0) {
        // one row per anomaly in the upsert: its state after the events
        const later = new Set(result.changes.map((c) => c.anomaly.id))
        result.changes.unshift(...passed.changes.filter((c) => !later.has(c.anomaly.id)))
      }
      addDetection(prepared, partition, result, fresh[fresh.length - 1]!.offset + 1)
    }
    return prepared
  }

  /**
   * Tells a partition's detector how long it has been live since the last batch: wall time during
   * which the etl was caught up on it, as the bus reports it. Time spent behind does not count: the
   * partition's records wait on the bus, and a key that looked silent would then have its
   * episodes resolved and its events made late. (A bus that cannot tell, `caughtUp` undefined,
   * counts all wall time.) See decision 0008.
   */
  function passLiveTime(partition: OwnedPartition, wallMs: number, caughtUp: boolean): DetectResult | null {
    const elapsedMs = partition.liveSinceMs === null ? 0 : Math.max(0, wallMs - partition.liveSinceMs)
    partition.liveSinceMs = caughtUp ? wallMs : null
    if (partition.storedOffset === null || elapsedMs === 0) return null
    return passTime(partition.detector, elapsedMs, rules, detectOptions)
  }

  /**
   * Live time counts only time spent fetching: while a batch is processed (or its commit waits out
   * a PostgreSQL outage) nothing is fetched, so the silence of keys says nothing. Without this,
   * after a stall longer than the idle grace every silent key's clock ran on, and the events of
   * theirs that arrived during the stall counted as late.
   */
  function holdIdleClocks(busyMs: number): void {
    if (!(busyMs > 0)) return
    for (const partition of owned.values())
      if (partition.liveSinceMs !== null) partition.liveSinceMs += busyMs
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
    logLate(prepared.late)
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
    for (const late of prepared.late) {
      metrics.lateEvents.inc({ topic: late.topic, rule: late.rule }, late.behindMs.length)
      for (const behindMs of late.behindMs)
        metrics.lateEventsBehind.observe({ topic: late.topic, rule: late.rule }, behindMs / 1000)
    }
    for (const anomaly of prepared.anomalies) {
      metrics.anomalyChanges.inc({ rule: anomaly.rule, change: anomaly.status })
    }
  }

  /**
   * Late events, per topic and rule: logged when they start, then at most once a minute with what
   * was late since (a replay into live topics is late for every live key, batch after batch).
   */
  const lateLog = new Map<string, { loggedAtMs: number; events: number; maxBehindMs: number }>()
  function logLate(late: readonly LateInPartition[]): void {
    const wallMs = now()
    for (const entry of late) {
      const id = `${entry.topic}\u0000${entry.rule}`
      const since = lateLog.get(id) ?? { loggedAtMs: Number.NEGATIVE_INFINITY, events: 0, maxBehindMs: 0 }
      since.events += entry.behindMs.length
      for (const behindMs of entry.behindMs) if (behindMs > since.maxBehindMs) since.maxBehindMs = behindMs
      lateLog.set(id, since)
      if (wallMs - since.loggedAtMs < LATE_LOG_INTERVAL_MS) continue
      logger.warn(
        {
          topic: entry.topic,
          partition: entry.partition,
          rule: entry.rule,
          key: entry.exampleKey,
          lateEvents: since.events,
          maxBehindMs: since.maxBehindMs,
          allowedLatenessMs: detectOptions.allowedLatenessMs,
        },
        "late events: older than their key's newest event time minus the allowed lateness; stored, not detected by this rule",
      )
      lateLog.set(id, { loggedAtMs: wallMs, events: 0, maxBehindMs: 0 })
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
  for (const late of result.late) {
    prepared.late.push({ ...late, topic: partition.topic, partition: partition.partition })
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
