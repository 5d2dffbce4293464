// HTTP ingest: each event is cleaned exactly as the etl will clean it and answered at once:
// accepted, or rejected with its reason. Accepted events are published as the bytes that were
// sent, keyed as docs/contract.md says (service for logs and metrics, user_id for transactions).
// Rejected events are published too, to the same topic with their verdict in headers
// (core/clean/ingest-verdict.ts), so that they land in dead letters like any other bad input
// (the table, the dead-letters topic and the lake) and the etl stores the reason the sender was
// given rather than judge again. The etl still cleans everything else it reads: the bus has other
// producers.
import type { IngestResponse } from '../../contracts/api.ts'
import type { RejectReason } from '../../contracts/events.ts'
import { type EventTopic, KIND_OF_TOPIC, type TopicNames } from '../../contracts/topics.ts'
import { type CleanPolicy, cleanRecord, verdictHeaders } from '../../core/clean/index.ts'
import type { Metrics } from '../../observability/metrics.ts'
import type { BusProducer, OutgoingRecord } from '../../pipelines/ports.ts'

export interface IngestDeps {
  producer: BusProducer
  names: TopicNames
  policy: CleanPolicy
  metrics: Metrics
}

/**
 * Cleans `records` (each one event's bytes) of `topic` at `nowMs` and publishes the accepted ones
 * in one batch, in the order sent. Resolves once the bus holds them durably; rejects with the
 * bus's error (nothing is then known to be published: the sender retries, and an `event_id` in
 * each event makes that retry idempotent downstream).
 */
export async function ingestEvents(
  deps: IngestDeps,
  topic: EventTopic,
  records: readonly Uint8Array[],
  nowMs: number,
): Promise<IngestResponse> {
  const kind = KIND_OF_TOPIC[topic]
  const fullTopic = deps.names.full(topic)
  const results: IngestResponse['results'] = []
  const outgoing: OutgoingRecord[] = []
  records.forEach((value, index) => {
    // the source is a placeholder: cleaning uses it only to derive ids, which the etl does again
    const result = cleanRecord(
      kind,
      { topic: fullTopic, partition: -1, offset: index, key: null, value },
      deps.policy,
      nowMs,
    )
    if (result.kind === 'rejection') {
      results.push({ index, status: 'rejected', reason: result.reason, message: result.message })
      deps.metrics.eventsRejected.inc({ stage: 'ingest', topic: fullTopic, reason: result.reason })
      outgoing.push(rejected(fullTopic, value, result.reason, result.message, deps.policy.maxMessageBytes))
      return
    }
    const key = result.kind === 'transaction' ? result.userId : result.service
    // a copy: a view would keep the whole request body alive for as long as the bus holds the record
    outgoing.push({ topic: fullTopic, key, value: value.slice() })
    results.push({ index, status: 'accepted' })
  })
  deps.metrics.eventsReceived.inc({ stage: 'ingest', topic: fullTopic }, records.length)
  const accepted = results.filter((r) => r.status === 'accepted').length
  if (outgoing.length > 0) {
    await deps.producer.publish(outgoing)
    deps.metrics.eventsWritten.inc({ stage: 'ingest', topic: fullTopic }, accepted)
  }
  return { accepted, rejected: records.length - accepted, results }
}

/**
 * A rejected event as it goes to its topic, to be dead-lettered by the etl. Unkeyed: its key may
 * be what is wrong with it. An oversized event keeps only its first maxMessageBytes (the bus
 * refuses bigger records); the message says so.
 */
function rejected(
  topic: string,
  value: Uint8Array,
  reason: RejectReason,
  message: string,
  maxBytes: number,
): OutgoingRecord {
  if (value.length <= maxBytes)
    return { topic, key: null, value: value.slice(), headers: verdictHeaders(reason, message) }
  const kept = `${message} (only the first ${maxBytes} of ${value.length} bytes kept)`
  return { topic, key: null, value: value.slice(0, maxBytes), headers: verdictHeaders(reason, kept) }
}
