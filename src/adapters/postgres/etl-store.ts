// The etl's store: a batch's rows, anomalies, dead letters, detector state and consumed offsets
// in ONE transaction, fenced on the offsets, so a crash or a rebalance at any instant replays only
// what was not committed and never doubles what was.
import type { LogEvent, MetricEvent, Rejection, TransactionEvent } from '../../contracts/events.ts'
import { StreamwatchError } from '../../errors.ts'
import type { TopicPartition } from '../../pipelines/ports.ts'
import type { Database } from './database.ts'
import { insertDeadLetters, insertLogs, insertMetrics, insertTransactions } from './insert-events.ts'
import {
  advanceOffsets,
  type DetectorStateWrite,
  loadPartitionStates,
  type OffsetAdvance,
  type PartitionState,
  saveDetectorStates,
} from './partition-state.ts'
import { type AnomalyInput, upsertAnomalies } from './upsert-anomalies.ts'

export type { AnomalyInput, DetectorStateWrite, OffsetAdvance, PartitionState }

/** NOTIFYed (payload: JSON {"groupId","changed"}) in the commit that inserts or changes anomalies. */
export const ANOMALIES_CHANNEL = 'anomalies'

export interface EtlBatch {
  logs: readonly LogEvent[]
  metrics: readonly MetricEvent[]
  transactions: readonly TransactionEvent[]
  rejections: readonly Rejection[]
  /** the latest state of every anomaly the batch opened, updated or resolved */
  anomalies: readonly AnomalyInput[]
  detectorStates: readonly DetectorStateWrite[]
  /**
   * One entry per partition the batch read. Every partition an event, a rejection or a detector
   * state comes from must be here: the offsets are what fences the whole batch.
   */
  offsets: readonly OffsetAdvance[]
}

/** Rows actually written: redelivered events and unchanged anomalies are not counted. */
export interface CommitResult {
  logs: number
  metrics: number
  transactions: number
  deadLetters: number
  /** ids of the anomalies inserted or changed */
  anomalyIds: string[]
}

export interface EtlStore {
  /** For each partition (in the order given): the stored next offset and detector state, if any. */
  loadPartitions(partitions: readonly TopicPartition[]): Promise<PartitionState[]>
  /**
   * Stores the batch atomically. Fencing first: when a partition's stored offset is not its
   * `expectedOffset`, nothing is written and a non-retriable 'db_conflict' names the partition;
   * reload it with loadPartitions and carry on from there. Committing the same batch twice
   * therefore fails the second time (its expected offsets are stale) and changes nothing.
   * Rows are idempotent too (ON CONFLICT DO NOTHING on event_id and on where a dead letter was
   * read), so a replay from an older position never doubles them.
   * A retriable error ('db_unavailable', or 'db_conflict' for a serialization failure) may be
   * retried with the same batch: if the lost commit did happen, the retry fails the fencing.
   */
  commitBatch(batch: EtlBatch): Promise<CommitResult>
}

export function createEtlStore(db: Database, options: { groupId: string }): EtlStore {
  const { groupId } = options
  return {
    loadPartitions: (partitions) => loadPartitionStates(db, groupId, partitions),
    async commitBatch(batch) {
      checkCoverage(batch)
      return db.transaction(async (tx) => {
        await advanceOffsets(tx, groupId, batch.offsets)
        const logs = await insertLogs(tx, batch.logs)
        const metrics = await insertMetrics(tx, batch.metrics)
        const transactions = await insertTransactions(tx, batch.transactions)
        const deadLetters = await insertDeadLetters(tx, batch.rejections)
        const anomalyIds = await upsertAnomalies(tx, batch.anomalies)
        await saveDetectorStates(tx, groupId, batch.detectorStates)
        if (anomalyIds.length > 0) {
          // delivered to listeners only if and when this transaction commits
          await tx.query('SELECT pg_notify($1, $2)', [
            ANOMALIES_CHANNEL,
            JSON.stringify({ groupId, changed: anomalyIds.length }),
          ])
        }
        return { logs, metrics, transactions, deadLetters, anomalyIds }
      })
    },
  }
}

/** Refuses a batch that would write for a partition it does not fence. */
function checkCoverage(batch: EtlBatch): void {
  const key = (topic: string, partition: number) => `${topic}[${partition}]`
  const fenced = new Set<string>()
  for (const { topic, partition } of batch.offsets) {
    const k = key(topic, partition)
    if (fenced.has(k)) throw invalid(`${k} appears twice in offsets`)
    fenced.add(k)
  }
  const check = (topic: string, partition: number) => {
    if (!fenced.has(key(topic, partition))) throw invalid(`${key(topic, partition)} has data but no offset`)
  }
  for (const list of [batch.logs, batch.metrics, batch.transactions, batch.rejections]) {
    for (const { source } of list) check(source.topic, source.partition)
  }
  for (const { topic, partition } of batch.detectorStates) check(topic, partition)
}

function invalid(message: string): StreamwatchError {
  return new StreamwatchError('invalid_input', `commitBatch: ${message}`)
}
