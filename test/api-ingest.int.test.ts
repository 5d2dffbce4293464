// POST /api/ingest/<topic>: bodies of each shape and encoding, per-event answers with the cleaner's
// reasons, what reaches the bus (the bytes sent, keyed as the contract says), and the limits.
// The bus is the in-memory one (same semantics as Kafka for one process) and, once, real Kafka.
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { Admin } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaBus } from '../src/adapters/kafka/kafka-bus.ts'
import { createMemoryBus } from '../src/adapters/memory-bus/memory-bus.ts'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import type { ApiInstance } from '../src/api/api-context.ts'
import { AUTH, buildTestApp, createApiTestDatabase } from '../src/api/api-test-kit.ts'
import type { IngestResponse } from '../src/contracts/api.ts'
import { ALL_TOPICS, createTopicNames } from '../src/contracts/topics.ts'
import { createMetrics, type Metrics } from '../src/observability/metrics.ts'
import type { Bus, RawRecord } from '../src/pipelines/ports.ts'

const KAFKA_BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',')
const names = createTopicNames('ingest-test.')
const decoder = new TextDecoder()
let t: TestDatabase
let bus: Bus
let app: ApiInstance
let metrics: Metrics

/** Every record of `topic` read by a fresh group, once `count` have arrived. */
async function readAll(from: Bus, topic: string, count: number, timeoutMs = 10_000): Promise<RawRecord[]> {
  const consumer = from.createConsumer({ groupId: `reader-${randomUUID()}`, topics: [topic], maxWaitMs: 100 })
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const records: RawRecord[] = []
  try {
    for await (const batch of consumer.batches(controller.signal)) {
      records.push(...batch.records)
      if (records.length >= count) break
    }
  } finally {
    clearTimeout(timer)
    await consumer.close()
  }
  return records
}

const nowIso = () => new Date().toISOString()
const log = (extra: Record<string, unknown> = {}) => ({
  timestamp: nowIso(),
  service: 'checkout',
  level: 'INFO',
  message: 'ok',
  ...extra,
})

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...AUTH, 'content-type': 'application/json', ...headers },
    payload: body,
  })
}

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  bus = createMemoryBus({ defaultPartitions: 3 })
  await bus.ensureTopics(ALL_TOPICS.map(names.full), 3)
  metrics = createMetrics({ defaultMetrics: false })
  app = await buildTestApp(t.db, {
    bus,
    topicNames: names,
    metrics,
    limits: { maxIngestBytes: 64 * 1024, maxIngestEvents: 50 },
  })
})
afterAll(async () => {
  await app?.close()
  await bus?.close()
  await t?.destroy()
})

describe('POST /api/ingest', () => {
  it('publishes one JSON event, byte for byte, keyed by service', async () => {
    const body = ` {"timestamp":"${nowIso()}", "service":"search","level":"warn","message":"slow","event_id":"e-1","extra":1.50} `
    const response = await post('/api/ingest/logs', body)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ accepted: 1, rejected: 0, results: [{ index: 0, status: 'accepted' }] })
    const [record] = await readAll(bus, names.full('logs'), 1)
    expect(decoder.decode(record!.value!)).toBe(body.trim())
    expect(decoder.decode(record!.key!)).toBe('search')
  })

  it('answers each event of an array and publishes them in order: the accepted keyed, the rejected with their verdict', async () => {
    const events = [
      `{"timestamp":"${nowIso()}","transaction_id":"t-1","user_id":"u-9","amount":12.50,"currency":"usd"}`,
      `{"timestamp":"${nowIso()}","transaction_id":"t-2","user_id":"u-9","amount":-3,"currency":"EUR"}`,
      `{"timestamp":"${nowIso()}","transaction_id":"t-3","user_id":"u-8","amount":1,"currency":"EUR"}`,
      `{"timestamp":"not a time","transaction_id":"t-4","user_id":"u-8","amount":1,"currency":"EUR"}`,
      `{"transaction_id": t-5}`,
      `[1]`,
      `{"timestamp":"2999-01-01T00:00:00Z","transaction_id":"t-6","user_id":"u-8","amount":1,"currency":"EUR"}`,
    ]
    const response = await post('/api/ingest/transactions', `[\n  ${events.join(',\n  ')}\n]`)
    expect(response.statusCode).toBe(207)
    const body = response.json<IngestResponse>()
    expect(body).toEqual({
      accepted: 2,
      rejected: 5,
      results: [
        { index: 0, status: 'accepted' },
        { index: 1, status: 'rejected', reason: 'out_of_range', message: expect.stringContaining('amount') },
        { index: 2, status: 'accepted' },
        {
          index: 3,
          status: 'rejected',
          reason: 'invalid_value',
          message: expect.stringContaining('timestamp'),
        },
        { index: 4, status: 'rejected', reason: 'invalid_json', message: expect.any(String) },
        { index: 5, status: 'rejected', reason: 'not_an_object', message: expect.any(String) },
        { index: 6, status: 'rejected', reason: 'timestamp_in_future', message: expect.any(String) },
      ],
    })
    const records = await readAll(bus, names.full('transactions'), 7)
    const accepted = records.filter((r) => r.headers.length === 0)
    expect(accepted.map((r) => decoder.decode(r.value!))).toEqual([events[0], events[2]])
    expect(accepted.map((r) => decoder.decode(r.key!))).toEqual(['u-9', 'u-8'])
    // the rejected go to the topic too, unkeyed, with the verdict the etl will dead-letter them with
    const rejected = records.filter((r) => r.headers.length > 0)
    expect(rejected.every((r) => r.key === null)).toBe(true)
    const verdictOf = (r: RawRecord) => {
      const headers = Object.fromEntries(r.headers.map(([k, v]) => [k, decoder.decode(v)]))
      return [
        decoder.decode(r.value!),
        headers['streamwatch-rejected'],
        headers['streamwatch-rejected-message'],
      ]
    }
    const answered = body.results.flatMap((r) =>
      r.status === 'rejected' ? [[events[r.index], r.reason, r.message]] : [],
    )
    // unkeyed, so spread over the partitions: compared as a set
    expect(rejected.map(verdictOf).sort()).toEqual(answered.sort())
  })

  it('reads NDJSON, gzipped or not', async () => {
    const lines = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({ timestamp: nowIso(), service: `svc-${i}`, cpu: 10 * i, latency_ms: 5 }),
    )
    const ndjson = `${lines.join('\n')}\n`
    const plain = await post('/api/ingest/metrics', ndjson, { 'content-type': 'application/x-ndjson' })
    expect(plain.statusCode).toBe(200)
    expect(plain.json().accepted).toBe(5)
    const zipped = await post('/api/ingest/metrics', gzipSync(ndjson), {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-encoding': 'gzip',
    })
    expect(zipped.statusCode).toBe(200)
    expect(zipped.json().accepted).toBe(5)
    const records = await readAll(bus, names.full('metrics'), 10)
    expect(records.map((r) => decoder.decode(r.value!)).sort()).toEqual([...lines, ...lines].sort())
    expect(new Set(records.map((r) => decoder.decode(r.key!)))).toEqual(
      new Set(lines.map((_, i) => `svc-${i}`)),
    )
  })

  it('answers 422 when every event is rejected', async () => {
    const response = await post(
      '/api/ingest/metrics',
      JSON.stringify([{ timestamp: nowIso(), service: 'x', cpu: 120, latency_ms: 1 }]),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json()).toEqual({
      accepted: 0,
      rejected: 1,
      results: [
        { index: 0, status: 'rejected', reason: 'out_of_range', message: 'cpu: 120 is outside 0..100' },
      ],
    })
  })

  it('counts what it received, published and rejected', async () => {
    const text = await metrics.registry.metrics()
    expect(text).toContain(
      `streamwatch_events_written_total{stage="ingest",topic="ingest-test.transactions"} 2`,
    )
    expect(text).toContain(
      `streamwatch_events_rejected_total{stage="ingest",topic="ingest-test.transactions",reason="out_of_range"} 1`,
    )
    expect(text).toContain(
      `streamwatch_events_received_total{stage="ingest",topic="ingest-test.transactions"} 7`,
    )
  })

  it('refuses a gzip bomb at the decompressed cap, quickly', async () => {
    // 48 MiB of spaces in under 64 KiB: within the body limit as sent, 750 times over it inflated
    const bomb = gzipSync(Buffer.alloc(48 * 1024 * 1024, 0x20), { level: 9 })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const started = performance.now()
    const response = await post('/api/ingest/logs', bomb, { 'content-encoding': 'gzip' })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toEqual({
      error: 'payload_too_large',
      message: `body: more than ${64 * 1024} bytes once decompressed; send it in smaller requests`,
    })
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it.each([
    [
      'a body over the limit',
      'x'.repeat(64 * 1024 + 1),
      {},
      413,
      'payload_too_large',
      `body: larger than ${64 * 1024} bytes, the limit of this endpoint`,
    ],
    [
      'too many events',
      `[${Array.from({ length: 51 }, () => JSON.stringify(log())).join(',')}]`,
      {},
      413,
      'payload_too_large',
      '51 events, at most 50',
    ],
    [
      'text/plain',
      JSON.stringify(log()),
      { 'content-type': 'text/plain' },
      415,
      'unsupported_media_type',
      'content-type',
    ],
    [
      'brotli',
      JSON.stringify(log()),
      { 'content-encoding': 'br' },
      415,
      'unsupported_media_type',
      'content-encoding: "br"',
    ],
    ['corrupt gzip', 'not gzip', { 'content-encoding': 'gzip' }, 400, 'bad_request', 'body: not valid gzip'],
    [
      'an unclosed array',
      `[${JSON.stringify(log())}`,
      {},
      400,
      'bad_request',
      'body: the array is not closed',
    ],
    ['an empty array', '[]', {}, 400, 'bad_request', 'body: the array is empty'],
    ['a blank body', '  ', {}, 400, 'bad_request', 'body: empty'],
    [
      'blank NDJSON',
      '\n\n',
      { 'content-type': 'application/x-ndjson' },
      400,
      'bad_request',
      'body: no events',
    ],
  ])('refuses %s', async (_name, body, headers, status, error, message) => {
    const response = await post('/api/ingest/logs', body, headers as Record<string, string>)
    expect(response.statusCode).toBe(status)
    expect(response.json()).toEqual({ error, message: expect.stringContaining(message) })
  })

  it('answers 503 without a bus', async () => {
    const noBus = await buildTestApp(t.db)
    try {
      const response = await noBus.inject({
        method: 'POST',
        url: '/api/ingest/logs',
        headers: AUTH,
        payload: log(),
      })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toEqual({
        error: 'unavailable',
        message: expect.stringContaining('KAFKA_BROKERS'),
      })
    } finally {
      await noBus.close()
    }
  })

  it('publishes to Kafka', async () => {
    const kafka = createKafkaBus({ brokers: KAFKA_BROKERS, clientId: 'api-ingest-test' })
    const kafkaNames = createTopicNames(`api-ingest-${randomUUID().slice(0, 8)}.`)
    await kafka.ensureTopics(ALL_TOPICS.map(kafkaNames.full), 2)
    const onKafka = await buildTestApp(t.db, { bus: kafka, topicNames: kafkaNames })
    try {
      const events = [log({ service: 'a', event_id: 'k-1' }), log({ service: 'b', event_id: 'k-2' })]
      const response = await onKafka.inject({
        method: 'POST',
        url: '/api/ingest/logs',
        headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
        payload: events.map((e) => JSON.stringify(e)).join('\n'),
      })
      expect(response.statusCode).toBe(200)
      const records = await readAll(kafka, kafkaNames.full('logs'), 2, 60_000)
      expect(records.map((r) => JSON.parse(decoder.decode(r.value!)).event_id).sort()).toEqual(['k-1', 'k-2'])
      expect(records.map((r) => decoder.decode(r.key!)).sort()).toEqual(['a', 'b'])
    } finally {
      await onKafka.close()
      await kafka.close()
      const admin = new Admin({ clientId: 'api-ingest-test-cleanup', bootstrapBrokers: KAFKA_BROKERS })
      try {
        await admin.deleteTopics({ topics: ALL_TOPICS.map(kafkaNames.full) })
      } finally {
        await admin.close()
      }
    }
  })
})
