/**
 * Raw record -> Event | Rejection. Pure: no I/O, no clock (`nowMs` is passed in), never throws.
 *
 * A record is checked in this order and the first problem found is its Rejection:
 * size, UTF-8, JSON, object shape, `timestamp` (format), the kind's fields in wire order,
 * `event_id`, unknown fields, and last the timestamp against `nowMs` (so a record that is both
 * malformed and late is reported as malformed).
 *
 * Reasons, when each is given, and an example message (`field: problem`, for people):
 *
 *   empty                 value null (a tombstone) or 0 bytes
 *                           value: 0 bytes
 *   oversized             more bytes than maxMessageBytes; checked before decoding
 *                           value: 300000 bytes is over the limit of 262144 bytes
 *   invalid_utf8          not well-formed UTF-8 (a leading BOM is dropped, not an error)
 *                           value: not valid UTF-8
 *   invalid_json          JSON.parse fails
 *                           value: not valid JSON: Unexpected token …
 *   not_an_object         valid JSON, but an array, string, number, boolean or null
 *                           value: expected a JSON object, got an array
 *   missing_field         a required field absent or null
 *                           cpu: missing (required)
 *   wrong_type            a JSON type that can never be right (cpu: true, message: 42, event_id: 7)
 *                           cpu: expected a number, got a boolean (true)
 *   invalid_value         the right type, unacceptable content: a timestamp or number that does
 *                         not parse ("yesterday", "2025-13-45", "0x10", "1e400"), an unknown
 *                         level, a currency not 3 letters, an empty or padded id, a fractional
 *                         or unsafe integer id, a service with other characters, a string over
 *                         its length limit, U+0000 anywhere, attributes nested too deep
 *                           level: "loud" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL or an alias of one
 *   out_of_range          a number outside its bounds: cpu 0..100, latency_ms 0..maxLatencyMs,
 *                         amount 0..maxAmount
 *                           cpu: 120 is outside 0..100
 *   timestamp_in_future   more than maxFutureSkewMs ahead of nowMs
 *                           timestamp: "9999-01-01T00:00:00Z" is more than 5m ahead of now
 *   timestamp_too_old     more than maxEventAgeMs before nowMs
 *                           timestamp: "1970-01-01T00:00:00Z" is more than 7d old
 *   unknown_topic         `kind` is not log, metric or transaction (Rejection.expected is null)
 *                           kind: "audit" is not log, metric or transaction
 *
 * `out_of_range` is only ever about a number's magnitude; a string over its length limit is
 * `invalid_value`. Messages quote at most ~100 characters of a bad value. A zero `amount` is
 * accepted (authorisation checks are zero-amount transactions); a negative one is `out_of_range`.
 * Duplicate keys in a message are not an error: the last one wins, as in JSON.parse.
 */
import type { Event, RecordSource, Rejection } from '../../contracts/events.ts'
import type { EventKind } from '../../contracts/topics.ts'
import { cleanLog, cleanMetric, cleanTransaction, sourceOf } from './clean-kinds.ts'
import type { CleanPolicy } from './clean-policy.ts'
import { decodeJsonObject } from './decode-json-object.ts'
import { Problem, showValue } from './problem.ts'
import { readTimestampMs } from './read-fields.ts'

/**
 * What cleaning needs of a record: its bytes and where they came from. The pipelines' `RawRecord`
 * satisfies it; declared here so that the core does not depend on the ports.
 */
export interface CleanInput extends RecordSource {
  key: Uint8Array | null
  value: Uint8Array | null
}

/** The event type of a kind: `EventOf<'log'>` is `LogEvent`. */
export type EventOf<K extends EventKind> = Extract<Event, { kind: K }>

/**
 * Cleans one record of the topic that carries `kind`. Returns the Event, or a Rejection holding the
 * reason, a message for people, the source, and the key and value bytes as received (not copied).
 * The event's `eventId` is the message's `event_id`, else `deriveEventId(source)`: cleaning the
 * same record twice gives the same event.
 */
export function cleanRecord<K extends EventKind>(
  kind: K,
  record: CleanInput,
  policy: CleanPolicy,
  nowMs: number,
): EventOf<K> | Rejection {
  let result: Event | Problem
  try {
    result = cleanToEvent(kind, record, policy, nowMs)
  } catch (error) {
    // Unreachable by design (the property tests look for it): if a bug ever throws here, the
    // record is dead-lettered with the error instead of stopping the pipeline.
    const cause = error instanceof Error ? error.message.slice(0, 100) : typeof error
    result = new Problem('invalid_value', `value: the cleaner failed on this record: ${cause}`)
  }
  return result instanceof Problem ? reject(kind, record, result) : (result as EventOf<K>)
}

/**
 * Cleans a batch of one kind. Allocates the two result arrays and what each record's result needs,
 * nothing more; order within each array is the order of `records`.
 */
export function cleanRecords<K extends EventKind>(
  kind: K,
  records: readonly CleanInput[],
  policy: CleanPolicy,
  nowMs: number,
): { events: EventOf<K>[]; rejections: Rejection[] } {
  const events: EventOf<K>[] = []
  const rejections: Rejection[] = []
  for (let i = 0; i < records.length; i++) {
    const result: Event | Rejection = cleanRecord(kind, records[i]!, policy, nowMs)
    if (result.kind === 'rejection') rejections.push(result)
    else events.push(result as EventOf<K>)
  }
  return { events, rejections }
}

function cleanToEvent(
  kind: EventKind,
  record: CleanInput,
  policy: CleanPolicy,
  nowMs: number,
): Event | Problem {
  if (kind !== 'log' && kind !== 'metric' && kind !== 'transaction') {
    return new Problem('unknown_topic', `kind: ${showValue(kind)} is not log, metric or transaction`)
  }
  const object = decodeJsonObject(record.value, policy.maxMessageBytes)
  if (object instanceof Problem) return object
  const tsMs = readTimestampMs(object['timestamp'])
  if (typeof tsMs !== 'number') return tsMs
  const event =
    kind === 'log'
      ? cleanLog(object, tsMs, record, policy)
      : kind === 'metric'
        ? cleanMetric(object, tsMs, record, policy)
        : cleanTransaction(object, tsMs, record, policy)
  if (event instanceof Problem) return event
  if (tsMs - nowMs > policy.maxFutureSkewMs) {
    return new Problem(
      'timestamp_in_future',
      `timestamp: ${showValue(object['timestamp'])} is more than ${formatDuration(policy.maxFutureSkewMs)} ahead of now`,
    )
  }
  if (nowMs - tsMs > policy.maxEventAgeMs) {
    return new Problem(
      'timestamp_too_old',
      `timestamp: ${showValue(object['timestamp'])} is more than ${formatDuration(policy.maxEventAgeMs)} old`,
    )
  }
  return event
}

function reject(kind: EventKind, record: CleanInput, problem: Problem): Rejection {
  const known = kind === 'log' || kind === 'metric' || kind === 'transaction'
  return {
    kind: 'rejection',
    expected: known ? kind : null,
    reason: problem.reason,
    message: problem.message,
    source: sourceOf(record),
    key: record.key ?? null,
    raw: record.value ?? null,
  }
}

const DURATION_UNITS: ReadonlyArray<readonly [number, string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
]

/** 300000 -> "5m", 604800000 -> "7d": the policy's limits as people write them. */
function formatDuration(ms: number): string {
  for (const [size, unit] of DURATION_UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  return `${ms}ms`
}
