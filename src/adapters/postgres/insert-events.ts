// Clean events and rejections into their tables: one statement per table per batch (see
// columnar-insert.ts for the shape and why). Idempotent: a row whose identity is already stored
// is skipped, also within one batch (the first one wins). Each function resolves to the number
// of rows actually inserted.
import type { LogEvent, MetricEvent, Rejection, TransactionEvent } from '../../contracts/events.ts'
import { type Column, columnarInsertSql, encodeColumns, insertSkippingDuplicates } from './columnar-insert.ts'
import type { Queryable } from './database.ts'

export const SKIP_EVENT_DUPLICATES = 'ON CONFLICT (event_id) DO NOTHING'

type AnyEvent = LogEvent | MetricEvent | TransactionEvent

const eventHead: Column<AnyEvent>[] = [
  { name: 'event_id', kind: 'text', value: (e) => e.eventId },
  { name: 'ts', kind: 'epochMs', value: (e) => e.tsMs },
]
const eventTail: Column<AnyEvent>[] = [
  { name: 'attributes', kind: 'jsonb', value: (e) => e.attributes },
  { name: 'topic', kind: 'text', value: (e) => e.source.topic },
  { name: 'partition', kind: 'int', value: (e) => e.source.partition },
  { name: 'offset', kind: 'bigint', value: (e) => e.source.offset },
]

export const LOG_COLUMNS: readonly Column<LogEvent>[] = [
  ...eventHead,
  { name: 'service', kind: 'text', value: (e) => e.service },
  { name: 'level', kind: 'text', value: (e) => e.level },
  { name: 'message', kind: 'text', value: (e) => e.message },
  { name: 'user_id', kind: 'text', value: (e) => e.userId },
  ...eventTail,
]
/** exported for measure-ingest.ts */
export const INSERT_LOGS_SQL = columnarInsertSql('logs', LOG_COLUMNS)

const METRIC_COLUMNS: readonly Column<MetricEvent>[] = [
  ...eventHead,
  { name: 'service', kind: 'text', value: (e) => e.service },
  { name: 'cpu', kind: 'double', value: (e) => e.cpu },
  { name: 'latency_ms', kind: 'double', value: (e) => e.latencyMs },
  ...eventTail,
]
const INSERT_METRICS_SQL = columnarInsertSql('metrics', METRIC_COLUMNS)

const TRANSACTION_COLUMNS: readonly Column<TransactionEvent>[] = [
  ...eventHead,
  { name: 'transaction_id', kind: 'text', value: (e) => e.transactionId },
  { name: 'user_id', kind: 'text', value: (e) => e.userId },
  // JSON.stringify writes the shortest decimal that reads back as the same double (19.99, never
  // 19.989999...), and that text becomes numeric exactly
  { name: 'amount', kind: 'numeric', value: (e) => e.amount },
  { name: 'currency', kind: 'text', value: (e) => e.currency },
  { name: 'merchant', kind: 'text', value: (e) => e.merchant },
  { name: 'status', kind: 'text', value: (e) => e.status },
  ...eventTail,
]
const INSERT_TRANSACTIONS_SQL = columnarInsertSql('transactions', TRANSACTION_COLUMNS)

const DEAD_LETTER_COLUMNS: readonly Column<Rejection>[] = [
  { name: 'topic', kind: 'text', value: (r) => r.source.topic },
  { name: 'partition', kind: 'int', value: (r) => r.source.partition },
  { name: 'offset', kind: 'bigint', value: (r) => r.source.offset },
  { name: 'expected_kind', kind: 'text', value: (r) => r.expected },
  { name: 'reason', kind: 'text', value: (r) => r.reason },
  { name: 'message', kind: 'text', value: (r) => r.message },
  { name: 'raw', kind: 'base64', value: (r) => toBase64(r.raw) },
  { name: 'key', kind: 'base64', value: (r) => toBase64(r.key) },
]
const INSERT_DEAD_LETTERS_SQL = columnarInsertSql('dead_letters', DEAD_LETTER_COLUMNS)

export async function insertLogs(tx: Queryable, logs: readonly LogEvent[]): Promise<number> {
  if (logs.length === 0) return 0
  return insertSkippingDuplicates(
    tx,
    INSERT_LOGS_SQL,
    SKIP_EVENT_DUPLICATES,
    encodeColumns(logs, LOG_COLUMNS),
  )
}

export async function insertMetrics(tx: Queryable, metrics: readonly MetricEvent[]): Promise<number> {
  if (metrics.length === 0) return 0
  const param = encodeColumns(metrics, METRIC_COLUMNS)
  return insertSkippingDuplicates(tx, INSERT_METRICS_SQL, SKIP_EVENT_DUPLICATES, param)
}

export async function insertTransactions(
  tx: Queryable,
  transactions: readonly TransactionEvent[],
): Promise<number> {
  if (transactions.length === 0) return 0
  const param = encodeColumns(transactions, TRANSACTION_COLUMNS)
  return insertSkippingDuplicates(tx, INSERT_TRANSACTIONS_SQL, SKIP_EVENT_DUPLICATES, param)
}

/** Stored once per (topic, partition, offset): a redelivered rejection is not doubled. */
export async function insertDeadLetters(tx: Queryable, rejections: readonly Rejection[]): Promise<number> {
  if (rejections.length === 0) return 0
  const param = encodeColumns(rejections, DEAD_LETTER_COLUMNS)
  return insertSkippingDuplicates(
    tx,
    INSERT_DEAD_LETTERS_SQL,
    'ON CONFLICT (topic, partition, "offset") DO NOTHING',
    param,
  )
}

function toBase64(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
