// HTTP ingest: each event is cleaned exactly as the etl will clean it, and only accepted events
// are published, as the bytes that were sent, keyed as DESIGN.md says (service for logs and
// metrics, user_id for transactions). A rejected event is answered with its reason and counted
// (events_rejected_total{stage="ingest"}), not published: the sender is told at once and can fix
// it, and the etl would only reject it again. The etl still cleans what it reads: the clock moves
// on between the two (a timestamp near the age limit), and the bus has other producers.
import type { IngestResponse } from '../../contracts/api.ts'
import { type EventTopic, KIND_OF_TOPIC, type TopicNames } from '../../contracts/topics.ts'
import { type CleanPolicy, cleanRecord } from '../../core/clean/index.ts'
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
      return
    }
    const key = result.kind === 'transaction' ? result.userId : result.service
    // a copy: a view would keep the whole request body alive for as long as the bus holds the record
    outgoing.push({ topic: fullTopic, key, value: value.slice() })
    results.push({ index, status: 'accepted' })
  })
  deps.metrics.eventsReceived.inc({ stage: 'ingest', topic: fullTopic }, records.length)
  if (outgoing.length > 0) {
    await deps.producer.publish(outgoing)
    deps.metrics.eventsWritten.inc({ stage: 'ingest', topic: fullTopic }, outgoing.length)
  }
  return { accepted: outgoing.length, rejected: records.length - outgoing.length, results }
}
