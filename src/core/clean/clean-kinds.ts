// The fields of each kind of event, read from a decoded message into the Event. The checks are in
// read-fields.ts; the order and the rejection reasons are documented in clean-record.ts.
import {
  deriveEventId,
  type LogEvent,
  type MetricEvent,
  type RecordSource,
  type TransactionEvent,
} from '../../contracts/events.ts'
import type { CleanPolicy } from './clean-policy.ts'
import type { CleanInput } from './clean-record.ts'
import { collectAttributes } from './collect-attributes.ts'
import { Problem } from './problem.ts'
import {
  readCurrency,
  readEventId,
  readId,
  readLevel,
  readMessage,
  readNumber,
  readOptionalId,
  readOptionalText,
  readService,
} from './read-fields.ts'

type JsonObject = Record<string, unknown>

/** The wire fields of each kind (docs/contract.md, "Message values"); any other field of a message goes to `attributes`. */
const LOG_FIELDS: ReadonlySet<string> = new Set([
  'timestamp',
  'service',
  'level',
  'message',
  'user_id',
  'event_id',
])
const METRIC_FIELDS: ReadonlySet<string> = new Set(['timestamp', 'service', 'cpu', 'latency_ms', 'event_id'])
const TRANSACTION_FIELDS: ReadonlySet<string> = new Set([
  'timestamp',
  'transaction_id',
  'user_id',
  'amount',
  'currency',
  'merchant',
  'status',
  'event_id',
])

export function cleanLog(
  object: JsonObject,
  tsMs: number,
  record: CleanInput,
  policy: CleanPolicy,
): LogEvent | Problem {
  const service = readService(object['service'], policy.maxServiceChars)
  if (service instanceof Problem) return service
  const level = readLevel(object['level'])
  if (level instanceof Problem) return level
  const message = readMessage(object['message'], policy.maxMessageChars)
  if (message instanceof Problem) return message
  const userId = readOptionalId('user_id', object['user_id'], policy.maxIdChars)
  if (userId instanceof Problem) return userId
  const eventId = readEventId(object['event_id'], policy.maxIdChars)
  if (eventId instanceof Problem) return eventId
  const attributes = collectAttributes(object, LOG_FIELDS, policy.maxAttributeDepth)
  if (attributes instanceof Problem) return attributes
  const source = sourceOf(record)
  return {
    kind: 'log',
    eventId: eventId ?? deriveEventId(source),
    tsMs,
    source,
    attributes,
    service,
    level,
    message,
    userId,
  }
}

export function cleanMetric(
  object: JsonObject,
  tsMs: number,
  record: CleanInput,
  policy: CleanPolicy,
): MetricEvent | Problem {
  const service = readService(object['service'], policy.maxServiceChars)
  if (service instanceof Problem) return service
  const cpu = readNumber('cpu', object['cpu'], 0, 100)
  if (typeof cpu !== 'number') return cpu
  const latencyMs = readNumber('latency_ms', object['latency_ms'], 0, policy.maxLatencyMs)
  if (typeof latencyMs !== 'number') return latencyMs
  const eventId = readEventId(object['event_id'], policy.maxIdChars)
  if (eventId instanceof Problem) return eventId
  const attributes = collectAttributes(object, METRIC_FIELDS, policy.maxAttributeDepth)
  if (attributes instanceof Problem) return attributes
  const source = sourceOf(record)
  return {
    kind: 'metric',
    eventId: eventId ?? deriveEventId(source),
    tsMs,
    source,
    attributes,
    service,
    cpu,
    latencyMs,
  }
}

export function cleanTransaction(
  object: JsonObject,
  tsMs: number,
  record: CleanInput,
  policy: CleanPolicy,
): TransactionEvent | Problem {
  const transactionId = readId('transaction_id', object['transaction_id'], policy.maxIdChars)
  if (transactionId instanceof Problem) return transactionId
  const userId = readId('user_id', object['user_id'], policy.maxIdChars)
  if (userId instanceof Problem) return userId
  const amount = readNumber('amount', object['amount'], 0, policy.maxAmount)
  if (typeof amount !== 'number') return amount
  const currency = readCurrency(object['currency'])
  if (currency instanceof Problem) return currency
  const merchant = readOptionalText('merchant', object['merchant'], policy.maxMerchantChars, false)
  if (merchant instanceof Problem) return merchant
  const status = readOptionalText('status', object['status'], policy.maxStatusChars, true)
  if (status instanceof Problem) return status
  const eventId = readEventId(object['event_id'], policy.maxIdChars)
  if (eventId instanceof Problem) return eventId
  const attributes = collectAttributes(object, TRANSACTION_FIELDS, policy.maxAttributeDepth)
  if (attributes instanceof Problem) return attributes
  const source = sourceOf(record)
  return {
    kind: 'transaction',
    eventId: eventId ?? deriveEventId(source),
    tsMs,
    source,
    attributes,
    transactionId,
    userId,
    amount,
    currency,
    merchant,
    status,
  }
}

/** A fresh RecordSource: the event must not hold on to the record's bytes. */
export function sourceOf(record: CleanInput): RecordSource {
  return { topic: record.topic, partition: record.partition, offset: record.offset }
}
