// One benchmark worker per client: produce the records, then consume them back. Run by
// client-throughput.ts in a child process each.
import { Consumer, Producer } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { createKafkaBus } from '../../src/adapters/kafka/kafka-bus.ts'
import type { OutgoingRecord } from '../../src/pipelines/ports.ts'

export interface WorkerSettings {
  records: number
  size: number
  batch: number
  partitions: number
  keys: number
  brokers: string[]
}

export interface WorkerResult {
  client: string
  phase: string
  records: number
  /** from the start of the phase (connect and group join included) to the last record */
  recordsPerSecond: number
  /** from the first record received to the last (consumers only) */
  steadyRecordsPerSecond?: number
  peakRssMb?: number
}

export async function runWorker(
  client: string,
  topic: string,
  settings: WorkerSettings,
): Promise<WorkerResult[]> {
  const workers: Record<string, (topic: string, s: WorkerSettings) => Promise<WorkerResult[]>> = {
    platformatic: runPlatformatic,
    kafkajs: runKafkajs,
    adapter: runAdapter,
  }
  const worker = workers[client]
  if (!worker) throw new Error(`unknown client ${client}; known: ${Object.keys(workers).join(', ')}`)
  return worker(topic, settings)
}

/** ~`size` bytes of JSON-looking text, 1024 different ones, built before timing starts. */
function makeValues(size: number): Buffer[] {
  return Array.from({ length: 1024 }, (_, i) => {
    const head = `{"timestamp":"2025-01-01T00:00:00Z","service":"svc-${i % 50}","message":"`
    return Buffer.from((head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}').slice(0, size))
  })
}

function makeKeys(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`key-${i}`))
}

class Meter {
  readonly started = performance.now()
  firstAt = 0
  peakRss = process.memoryUsage.rss()
  readonly #timer = setInterval(() => {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss())
  }, 50)

  mark(): void {
    if (this.firstAt === 0) this.firstAt = performance.now()
  }

  result(client: string, phase: string, records: number): WorkerResult {
    clearInterval(this.#timer)
    const now = performance.now()
    const result: WorkerResult = {
      client,
      phase,
      records,
      recordsPerSecond: (records * 1000) / (now - this.started),
      peakRssMb: Math.round(this.peakRss / 1_048_576),
    }
    if (this.firstAt > 0) result.steadyRecordsPerSecond = (records * 1000) / (now - this.firstAt)
    return result
  }
}

async function runPlatformatic(topic: string, s: WorkerSettings): Promise<WorkerResult[]> {
  const values = makeValues(s.size)
  const keys = makeKeys(s.keys)
  const client = '@platformatic/kafka 2.12.1'
  const producer = new Producer({ clientId: 'bench-plt', bootstrapBrokers: s.brokers, idempotent: true })
  let meter = new Meter()
  for (let sent = 0; sent < s.records; sent += s.batch) {
    const messages = []
    for (let i = sent; i < Math.min(s.records, sent + s.batch); i++) {
      messages.push({ topic, key: keys[i % keys.length]!, value: values[i % values.length]! })
    }
    await producer.send({ messages })
  }
  const produced = meter.result(client, 'produce', s.records)
  await producer.close()

  meter = new Meter()
  const consumer = new Consumer({
    clientId: 'bench-plt',
    groupId: `bench-plt-${topic}`,
    bootstrapBrokers: s.brokers,
  })
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
  let received = 0
  await new Promise<void>((resolve) => {
    stream.on('data', () => {
      meter.mark()
      if (++received === s.records) resolve()
    })
  })
  const consumed = meter.result(client, 'consume (stream)', received)
  await stream.close()
  await consumer.close()
  return [produced, consumed]
}

async function runKafkajs(topic: string, s: WorkerSettings): Promise<WorkerResult[]> {
  const values = makeValues(s.size)
  const keys = makeKeys(s.keys)
  const client = 'kafkajs 2.2.4'
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-kjs',
    brokers: s.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  let meter = new Meter()
  for (let sent = 0; sent < s.records; sent += s.batch) {
    const messages = []
    for (let i = sent; i < Math.min(s.records, sent + s.batch); i++) {
      messages.push({ key: keys[i % keys.length]!, value: values[i % values.length]! })
    }
    await producer.send({ topic, acks: -1, messages })
  }
  const produced = meter.result(client, 'produce', s.records)
  await producer.disconnect()

  meter = new Meter()
  const consumer = kafka.consumer({ groupId: `bench-kjs-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let received = 0
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        meter.mark()
        received += batch.messages.length
        if (received >= s.records) resolve()
      },
    })
  })
  const consumed = meter.result(client, 'consume (eachBatch)', received)
  await consumer.disconnect()
  return [produced, consumed]
}

async function runAdapter(topic: string, s: WorkerSettings): Promise<WorkerResult[]> {
  const values = makeValues(s.size)
  const keys = Array.from({ length: s.keys }, (_, i) => `key-${i}`)
  const client = 'streamwatch kafka bus'
  const bus = createKafkaBus({ brokers: s.brokers, clientId: 'bench-adapter' })
  const producer = bus.createProducer()
  let meter = new Meter()
  for (let sent = 0; sent < s.records; sent += s.batch) {
    const records: OutgoingRecord[] = []
    for (let i = sent; i < Math.min(s.records, sent + s.batch); i++) {
      records.push({ topic, key: keys[i % keys.length]!, value: values[i % values.length]! })
    }
    await producer.publish(records)
  }
  const results = [meter.result(client, 'publish', s.records)]

  for (const withCommit of [false, true]) {
    meter = new Meter()
    const consumer = bus.createConsumer({ groupId: `bench-adapter-${withCommit}-${topic}`, topics: [topic] })
    const stop = new AbortController()
    let received = 0
    for await (const batch of consumer.batches(stop.signal)) {
      meter.mark()
      received += batch.records.length
      if (withCommit) await consumer.commit(batch.nextOffsets)
      if (received >= s.records) break
    }
    results.push(
      meter.result(client, withCommit ? 'consume (batches + commit each)' : 'consume (batches)', received),
    )
    await consumer.close()
  }
  await bus.close()
  return results
}
