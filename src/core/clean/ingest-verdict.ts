// A record can carry the verdict given to it before it reached the bus. The ingest API cleans
// what it receives and answers each rejected event with its reason at once; it also publishes the
// rejected event to its topic with that verdict in headers, so that it lands in dead letters like
// any other (the table, the dead-letters topic and the lake, with its topic, partition and
// offset). The etl honours the verdict instead of cleaning again: what the sender was told is what
// is stored, even when the clock moved between the two (a timestamp near a limit). A header naming
// no known reason is ignored and the record is cleaned as usual.
import { REJECT_REASONS, type Rejection, type RejectReason } from '../../contracts/events.ts'
import type { EventKind } from '../../contracts/topics.ts'
import type { CleanInput } from './clean-record.ts'

export const VERDICT_HEADER = 'streamwatch-rejected'
export const VERDICT_MESSAGE_HEADER = 'streamwatch-rejected-message'

const KNOWN_REASONS: ReadonlySet<string> = new Set(REJECT_REASONS)
const decoder = new TextDecoder()

/** The headers that carry a rejection's verdict with the record. */
export function verdictHeaders(reason: RejectReason, message: string): Record<string, string> {
  return { [VERDICT_HEADER]: reason, [VERDICT_MESSAGE_HEADER]: message }
}

/** The rejection a record's headers carry, if any. */
export function verdictOf(
  kind: EventKind,
  record: CleanInput & { headers: ReadonlyArray<readonly [string, Uint8Array]> },
): Rejection | undefined {
  if (record.headers.length === 0) return undefined
  let reason: string | undefined
  let message = ''
  for (const [name, value] of record.headers) {
    if (name === VERDICT_HEADER) reason = decoder.decode(value)
    else if (name === VERDICT_MESSAGE_HEADER) message = decoder.decode(value)
  }
  if (reason === undefined || !KNOWN_REASONS.has(reason)) return undefined
  return {
    kind: 'rejection',
    expected: kind,
    reason: reason as RejectReason,
    message: `at ingest: ${message}`,
    source: { topic: record.topic, partition: record.partition, offset: record.offset },
    key: record.key,
    raw: record.value,
  }
}
