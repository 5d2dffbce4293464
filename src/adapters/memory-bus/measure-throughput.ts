// Publish + consume throughput of the memory bus in one process: a producer publishes keyed ~200-byte
// JSON values in batches while one consumer group reads and commits them, the way the embedded
// platform uses the bus. Run: node src/adapters/memory-bus/measure-throughput.ts [records]
import type { OutgoingRecord } from '../../pipelines/ports.ts'
import { createMemoryBus, type MemoryBusOptions } from './memory-bus.ts'

export interface ThroughputOptions {
  records: number
  /** approximate size of each value */
  valueBytes?: number
  partitions?: number
  publishBatchRecords?: number
  maxBatchRecords?: number
  /** consumers in the group, reading concurrently */
  consumers?: number
  bus?: MemoryBusOptions
}

export interface ThroughputResult {
  records: number
  consumedRecords: number
  elapsedMs: number
  recordsPerSecond: number
  megabytesPerSecond: number
  /** heap in use at the end, before the bus is closed */
  heapUsedBytes: number
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const valueBytes = options.valueBytes ?? 200
  const publishBatchRecords = options.publishBatchRecords ?? 1000
  const bus = createMemoryBus(options.bus)
  const topic = 'throughput'
  await bus.ensureTopics([topic], options.partitions ?? 4)
  const pool = samples(topic, 10_000, valueBytes)

  const controller = new AbortController()
  let consumedRecords = 0
  let consumedBytes = 0
  const consumers = Array.from({ length: options.consumers ?? 1 }, () =>
    bus.createConsumer({
      groupId: 'throughput',
      topics: [topic],
      maxBatchRecords: options.maxBatchRecords ?? 500,
    }),
  )
  const startMs = performance.now()
  const reading = consumers.map(async (consumer) => {
    for await (const batch of consumer.batches(controller.signal)) {
      for (const record of batch.records) consumedBytes += record.value?.byteLength ?? 0
      consumedRecords += batch.records.length
      if (batch.nextOffsets.length > 0) await consumer.commit(batch.nextOffsets)
      if (consumedRecords >= options.records) controller.abort()
    }
  })

  const producer = bus.createProducer()
  for (let sent = 0; sent < options.records; sent += publishBatchRecords) {
    const batch: OutgoingRecord[] = []
    for (let i = sent; i < Math.min(sent + publishBatchRecords, options.records); i++)
      batch.push(pool[i % pool.length]!)
    await producer.publish(batch)
  }
  await Promise.all(reading)
  const elapsedMs = performance.now() - startMs
  const heapUsedBytes = process.memoryUsage().heapUsed
  await bus.close()
  return {
    records: options.records,
    consumedRecords,
    elapsedMs,
    recordsPerSecond: Math.round((consumedRecords / elapsedMs) * 1000),
    megabytesPerSecond: Math.round((consumedBytes / elapsedMs / 1000) * 10) / 10,
    heapUsedBytes,
  }
}

function samples(topic: string, count: number, valueBytes: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const service = `service-${i % 1000}`
    const head = JSON.stringify({
      timestamp: '2025-01-01T00:00:00.000Z',
      service,
      level: 'INFO',
      message: '',
    })
    const message = 'x'.repeat(Math.max(0, valueBytes - head.length))
    return {
      topic,
      key: service,
      value: JSON.stringify({ timestamp: '2025-01-01T00:00:00.000Z', service, level: 'INFO', message }),
    }
  })
}

if (import.meta.main) {
  const records = Number(process.argv[2] ?? 1_000_000)
  for (const consumers of [1, 2]) {
    const result = await measureThroughput({ records, consumers })
    console.log(JSON.stringify({ consumers, ...result }))
  }
}
