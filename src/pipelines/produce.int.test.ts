// The produce pipeline end to end: into the memory bus (read back with its consumer) and into the
// real Kafka broker (127.0.0.1:9092 unless KAFKA_BROKERS; read back with kcat, an independent client).
import { execFileSync } from 'node:child_process'
import { Admin } from '@platformatic/kafka'
import { afterAll, describe, expect, it } from 'vitest'
import { startConsumer, text, until } from '../../test/contract/bus-test-helpers.ts'
import { createKafkaBus } from '../adapters/kafka/kafka-bus.ts'
import { createMemoryBus } from '../adapters/memory-bus/memory-bus.ts'
import { createTopicNames, EVENT_TOPICS } from '../contracts/topics.ts'
import { createEventStream } from '../core/generate/event-stream.ts'
import { MAX_LEAD_MS, type ProduceSummary, runProduce } from './produce.ts'

const COUNT = 100_000
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',')
const runId = `${Date.now().toString(36)}-${process.pid}`

/** The key each message must have: the service for logs and metrics, the user for transactions. */
function expectedKey(topic: string, value: string): string {
  const event = JSON.parse(value) as Record<string, string>
  return topic.endsWith('transactions') ? event['user_id']! : event['service']!
}

/** The summary's and the manifest's account of the run agree with each other and with the count. */
function expectConsistentSummary(summary: ProduceSummary, prefix: string, count: number) {
  expect(summary.sent).toBe(count)
  expect(summary.stoppedBy).toBe('count')
  expect(Object.values(summary.sentByTopic).reduce((a, b) => a + b, 0)).toBe(count)
  for (const topic of EVENT_TOPICS) {
    expect(summary.sentByTopic[`${prefix}${topic}`]).toBe(summary.manifest.eventsByTopic[topic])
  }
  // as fast as possible with a count: the stream ends about when the run started
  expect(summary.manifest.lastEventTimeMs).toBeLessThanOrEqual(Date.now())
  expect(summary.manifest.lastEventTimeMs).toBeGreaterThan(Date.now() - 120_000)
}

describe('runProduce into the memory bus', () => {
  it('publishes exactly the generated events, keyed as the contract says', async () => {
    const bus = createMemoryBus({ defaultPartitions: 3 })
    const topicNames = createTopicNames('mem.')
    const topics = EVENT_TOPICS.map((t) => topicNames.full(t))
    await bus.ensureTopics(topics, 3)
    const reader = startConsumer(bus, { groupId: 'count', topics, maxBatchRecords: 5_000 })
    try {
      const summary = await runProduce(
        { bus, topicNames, stream: { seed: 42, anomalyRatio: 0.001 }, ratePerSecond: 0, count: COUNT },
        new AbortController().signal,
      )
      expectConsistentSummary(summary, 'mem.', COUNT)
      await until(() => reader.records.length >= COUNT, `${COUNT} records`, { consumers: [reader] })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(reader.records).toHaveLength(COUNT)
      for (const record of reader.records) {
        expect(text(record.key)).toBe(expectedKey(record.topic, text(record.value)!))
      }
      // the same seed and start generate the same messages: the bus holds exactly those
      const expected = createEventStream({
        seed: 42,
        anomalyRatio: 0.001,
        startMs: summary.startMs,
        eventRatePerSecond: summary.eventRatePerSecond,
      })
        .take(COUNT)
        .map((e) => `${topicNames.full(e.topic)} ${e.value}`)
        .sort()
      expect(reader.records.map((r) => `${r.topic} ${text(r.value)}`).sort()).toEqual(expected)
    } finally {
      await reader.stop()
      await bus.close()
    }
  })

  it('paces publishing to the rate, with event time following the wall clock', async () => {
    const bus = createMemoryBus()
    const before = Date.now()
    const summary = await runProduce(
      {
        bus,
        topicNames: createTopicNames('paced.'),
        stream: { seed: 1 },
        ratePerSecond: 2_000,
        count: 1_000,
      },
      new AbortController().signal,
    )
    await bus.close()
    expect(summary.sent).toBe(1_000)
    expect(summary.elapsedMs).toBeGreaterThan(350)
    expect(summary.elapsedMs).toBeLessThan(2_000)
    expect(summary.startMs).toBeGreaterThanOrEqual(before)
    expect(summary.eventRatePerSecond).toBe(2_000)
    expect(summary.manifest.lastEventTimeMs! - summary.startMs).toBe(Math.floor((999 * 1000) / 2_000))
  })

  it('stops at the duration, or when aborted, having published every batch it generated', async () => {
    const bus = createMemoryBus()
    const timed = await runProduce(
      {
        bus,
        topicNames: createTopicNames('timed.'),
        stream: { seed: 2 },
        ratePerSecond: 1_000,
        durationMs: 400,
      },
      new AbortController().signal,
    )
    expect(timed.stoppedBy).toBe('duration')
    expect(timed.sent).toBeGreaterThan(200)
    expect(timed.sent).toBeLessThan(700)
    expect(timed.sent).toBe(timed.manifest.events)

    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const aborted = await runProduce(
      { bus, topicNames: createTopicNames('aborted.'), stream: { seed: 3 }, ratePerSecond: 0 },
      controller.signal,
    )
    await bus.close()
    expect(aborted.stoppedBy).toBe('signal')
    // the run yields to the event loop between batches, so the abort is seen at once
    expect(aborted.elapsedMs).toBeLessThan(2_000)
    expect(aborted.sent).toBeGreaterThan(0)
    expect(aborted.sent).toBe(aborted.manifest.events)
  })

  it('as fast as possible without a count, keeps event time within a minute of the wall clock', async () => {
    const bus = createMemoryBus()
    const summary = await runProduce(
      {
        bus,
        topicNames: createTopicNames('lead.'),
        stream: { seed: 4, eventRatePerSecond: 100 },
        ratePerSecond: 0,
        durationMs: 1_500,
        batchSize: 100,
      },
      new AbortController().signal,
    )
    const endMs = Date.now()
    await bus.close()
    // a minute of events ahead at once, then about 100 a second
    expect(summary.sent).toBeGreaterThanOrEqual((MAX_LEAD_MS / 1000) * 100)
    expect(summary.sent).toBeLessThan((MAX_LEAD_MS / 1000) * 100 + 400)
    expect(summary.manifest.lastEventTimeMs).toBeLessThanOrEqual(endMs + MAX_LEAD_MS)
  })
})

describe('runProduce into Kafka', () => {
  const prefix = `sw-test.${runId}.produce.`

  afterAll(async () => {
    const admin = new Admin({ clientId: 'produce-test-cleanup', bootstrapBrokers: brokers })
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
      if (topics.length > 0) await admin.deleteTopics({ topics })
    } finally {
      await admin.close()
    }
  })

  it(`publishes ${COUNT.toLocaleString('en-US')} events with seed 42: exactly that many records, keyed as specified`, async () => {
    const bus = createKafkaBus({ brokers, clientId: 'produce-test' })
    const topicNames = createTopicNames(prefix)
    let summary: ProduceSummary
    try {
      await bus.ensureTopics(
        EVENT_TOPICS.map((t) => topicNames.full(t)),
        3,
      )
      summary = await runProduce(
        { bus, topicNames, stream: { seed: 42, anomalyRatio: 0.001 }, ratePerSecond: 0, count: COUNT },
        new AbortController().signal,
      )
    } finally {
      await bus.close()
    }
    expectConsistentSummary(summary, prefix, COUNT)
    let total = 0
    for (const topic of EVENT_TOPICS) {
      const lines = execFileSync(
        'kcat',
        ['-b', brokers[0]!, '-C', '-t', topicNames.full(topic), '-e', '-q', '-f', '%k\t%s\n'],
        { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean)
      expect(lines.length, topic).toBe(summary.sentByTopic[topicNames.full(topic)])
      const wrong = lines.filter((line) => {
        const [key, value] = line.split('\t') as [string, string]
        return key !== expectedKey(topic, value)
      })
      expect(wrong).toEqual([])
      total += lines.length
    }
    expect(total).toBe(COUNT)
  })
})
