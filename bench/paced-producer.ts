// The fixed-load producer of the benchmark, run as a child process:
//   node bench/paced-producer.ts <brokers> <topicPrefix> <ratePerSecond> <durationMs>
// Mock events from the generator (seeded, with injected anomalies), each re-stamped with the wall
// time of its publish, so that `ingested_at - ts` of a row is the time from the event entering
// Kafka to its row, whatever the producer's own hiccups. (`streamwatch produce --rate` stamps the
// time an event is due; after a stall it stays behind that schedule for the rest of the run, which
// added a constant ~1 s to every latency here.) Batches of 50 ms of events, one publish in flight;
// a batch that falls behind its schedule is sent at once, so the rate catches up.
// Prints one JSON line: { events, seconds, eventsPerSecond, maxBehindMs }.
import { setTimeout as sleep } from 'node:timers/promises'
import { createKafkaBus } from '../src/adapters/kafka/kafka-bus.ts'
import { createTopicNames, EVENT_TOPICS } from '../src/contracts/topics.ts'
import { createEventStream } from '../src/core/generate/event-stream.ts'
import type { OutgoingRecord } from '../src/pipelines/ports.ts'

const [brokers, prefix, rateText, durationText] = process.argv.slice(2)
if (!brokers || prefix === undefined || !rateText || !durationText) {
  process.stderr.write('usage: paced-producer.ts <brokers> <topicPrefix> <ratePerSecond> <durationMs>\n')
  process.exit(2)
}
const ratePerSecond = Number(rateText)
const durationMs = Number(durationText)
const BATCH_MS = 50
const batchSize = Math.max(1, Math.round((ratePerSecond * BATCH_MS) / 1000))
const names = createTopicNames(prefix)
const bus = createKafkaBus({ brokers: brokers.split(','), clientId: 'bench-paced' })
await bus.ensureTopics(
  EVENT_TOPICS.map((t) => names.full(t)),
  6,
)
const producer = bus.createProducer()
// connect (and init the idempotent session) before the clock starts: one record into the
// dead-letters topic, which the etl does not consume
await producer.publish([{ topic: names.full('dead-letters'), key: 'bench-warm-up', value: '{}' }])
const stream = createEventStream({
  seed: 7,
  startMs: Date.now(),
  eventRatePerSecond: ratePerSecond,
  anomalyRatio: 0.001,
})
const startedAt = performance.now()
let sent = 0
let maxBehindMs = 0
for (let batch = 0; ; batch++) {
  const dueMs = batch * BATCH_MS
  if (dueMs >= durationMs) break
  const aheadMs = dueMs - (performance.now() - startedAt)
  if (aheadMs > 0) await sleep(aheadMs)
  else maxBehindMs = Math.max(maxBehindMs, -aheadMs)
  const nowIso = new Date().toISOString()
  const records: OutgoingRecord[] = stream.take(batchSize).map((e) => {
    const value = JSON.parse(e.value as string) as { timestamp: string }
    value.timestamp = nowIso
    return { topic: names.full(e.topic), key: e.key, value: JSON.stringify(value) }
  })
  await producer.publish(records)
  sent += records.length
}
const seconds = (performance.now() - startedAt) / 1000
process.stdout.write(
  `${JSON.stringify({ events: sent, seconds, eventsPerSecond: sent / seconds, maxBehindMs })}\n`,
)
await producer.close()
await bus.close()
