// The cleaned event model. Wire formats (what producers send) are in docs/contract.md;
// these are the shapes after `cleanRecord`: validated, normalised, with a stable identity.
import type { EventKind } from './topics.ts'

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Where a record was read: enough to find it again, and the identity of an event without `event_id`. */
export interface RecordSource {
  /** full topic name, as on the broker */
  topic: string
  partition: number
  /** Kafka offsets are int64; numbers are exact up to 2^53, far beyond any partition's life */
  offset: number
}

interface EventBase {
  /** `event_id` from the message, else derived from the source (see `deriveEventId`) */
  eventId: string
  /** event time, UTC epoch milliseconds */
  tsMs: number
  source: RecordSource
  /** fields of the message that are not part of the schema, kept as they came */
  attributes: Record<string, unknown>
}

export interface LogEvent extends EventBase {
  kind: 'log'
  service: string
  level: LogLevel
  message: string
  userId: string | null
}

export interface MetricEvent extends EventBase {
  kind: 'metric'
  service: string
  /** percent, 0..100 */
  cpu: number
  latencyMs: number
}

export interface TransactionEvent extends EventBase {
  kind: 'transaction'
  transactionId: string
  userId: string
  amount: number
  /** ISO 4217, upper case */
  currency: string
  merchant: string | null
  status: string | null
}

export type Event = LogEvent | MetricEvent | TransactionEvent

/** Why a record was rejected: a closed list, so dashboards and alerts can count by reason. */
export const REJECT_REASONS = [
  'empty',
  'oversized',
  'invalid_utf8',
  'invalid_json',
  'not_an_object',
  'missing_field',
  'wrong_type',
  'invalid_value',
  'out_of_range',
  'timestamp_in_future',
  'timestamp_too_old',
  'unknown_topic',
] as const
export type RejectReason = (typeof REJECT_REASONS)[number]

export interface Rejection {
  kind: 'rejection'
  /** the kind the record's topic carries, when known */
  expected: EventKind | null
  reason: RejectReason
  /** for people: names the field and what was wrong, e.g. "cpu: 120 is outside 0..100" */
  message: string
  source: RecordSource
  key: Uint8Array | null
  /** the value's bytes exactly as received */
  raw: Uint8Array | null
}

export type CleanResult = Event | Rejection

/** The identity of an event that carries no `event_id`: a redelivered message is the same event. */
export function deriveEventId(source: RecordSource): string {
  return `${source.topic}/${source.partition}/${source.offset}`
}
