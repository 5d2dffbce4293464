// Small helpers for the bus contract suite: a consumer loop running in the background, waiting for
// a condition, and keyed test records. Nothing here knows which Bus implementation runs.
import { setTimeout as delay } from 'node:timers/promises'
import type {
  Bus,
  BusConsumer,
  ConsumerOptions,
  OutgoingRecord,
  RawRecord,
  RecordBatch,
} from '../../src/pipelines/ports.ts'

const decoder = new TextDecoder()
const encoder = new TextEncoder()

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : decoder.decode(bytes)
}

export function utf8(value: string): Uint8Array {
  return encoder.encode(value)
}

/** How long one contract test may take: generous, for a real broker's joins and rebalances. */
export const CONTRACT_TEST_TIMEOUT_MS = 180_000

/** What each part of the contract suite gets: the bus of the current test and ways to use it. */
export interface ContractContext {
  /** the bus under test (a new one for each test) */
  readonly bus: Bus
  /** a topic or group name unique within the run */
  unique(label: string): string
  /** starts a consumer that the suite stops after the test */
  consume(options: ConsumerOptions, behaviour?: ConsumerBehaviour): RunningConsumer
  /** reads every record of `topic` with a fresh group until `count` have arrived */
  readAll(topic: string, count: number): Promise<RawRecord[]>
}

export interface RunningConsumer {
  readonly consumer: BusConsumer
  /** every record yielded, in the order yielded */
  readonly records: RawRecord[]
  batches: number
  emptyBatches: number
  /** what the loop threw, if it did */
  error: unknown
  /** aborts the loop, waits for it to end, then closes the consumer */
  stop(): Promise<void>
}

export interface ConsumerBehaviour {
  /** commit each batch's nextOffsets after onBatch (default true) */
  commit?: boolean
  /** runs for each batch before it is recorded and committed; returning 'stop' ends the loop without committing it */
  onBatch?(batch: RecordBatch): undefined | 'stop' | Promise<undefined | 'stop'>
}

/** Runs `for await (batch of consumer.batches(signal))` in the background, recording what it gets. */
export function startConsumer(
  bus: Bus,
  options: ConsumerOptions,
  behaviour: ConsumerBehaviour = {},
): RunningConsumer {
  const consumer = bus.createConsumer(options)
  const controller = new AbortController()
  const running: RunningConsumer = {
    consumer,
    records: [],
    batches: 0,
    emptyBatches: 0,
    error: undefined,
    async stop() {
      controller.abort()
      await loop
      await consumer.close()
    },
  }
  const loop = (async () => {
    try {
      for await (const batch of consumer.batches(controller.signal)) {
        running.batches++
        if (batch.records.length === 0) running.emptyBatches++
        const verdict = await behaviour.onBatch?.(batch)
        for (const record of batch.records) running.records.push(record)
        if (verdict === 'stop') break
        if ((behaviour.commit ?? true) && batch.nextOffsets.length > 0)
          await consumer.commit(batch.nextOffsets)
      }
    } catch (error) {
      running.error = error
    }
  })()
  return running
}

/** Polls `condition` until it holds; fails at once when one of `consumers` has failed. */
export async function until(
  condition: () => boolean,
  what: string,
  options: { timeoutMs?: number; consumers?: readonly RunningConsumer[] } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (;;) {
    for (const running of options.consumers ?? []) {
      if (running.error !== undefined) {
        throw new Error(`a consumer failed while waiting for ${what}`, { cause: running.error })
      }
    }
    if (condition()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(10)
  }
}

/** `keys` keys named `${prefix}${i}`, each with sequence numbers `firstSeq`.. : value `key#seq`, interleaved by key. */
export function keyedRecords(
  topic: string,
  options: { keys: number; perKey: number; prefix?: string; firstSeq?: number },
): OutgoingRecord[] {
  const records: OutgoingRecord[] = []
  const first = options.firstSeq ?? 0
  for (let seq = first; seq < first + options.perKey; seq++) {
    for (let k = 0; k < options.keys; k++) {
      const key = `${options.prefix ?? 'key-'}${k}`
      records.push({ topic, key, value: `${key}#${seq}` })
    }
  }
  return records
}

/** Parses a `key#seq` value made by keyedRecords. */
export function parseKeyed(record: RawRecord): { key: string; seq: number } {
  const value = text(record.value) ?? ''
  const at = value.lastIndexOf('#')
  return { key: value.slice(0, at), seq: Number(value.slice(at + 1)) }
}

export async function publishInBatches(
  bus: Bus,
  records: readonly OutgoingRecord[],
  batchSize: number,
): Promise<void> {
  const producer = bus.createProducer()
  try {
    for (let i = 0; i < records.length; i += batchSize)
      await producer.publish(records.slice(i, i + batchSize))
  } finally {
    await producer.close()
  }
}

/** Fails with the first key whose sequence numbers, in the order `records` holds them, do not increase. */
export function expectIncreasingPerKey(records: readonly RawRecord[]): void {
  const last = new Map<string, number>()
  for (const record of records) {
    const { key, seq } = parseKeyed(record)
    const previous = last.get(key)
    if (previous !== undefined && seq <= previous) {
      throw new Error(
        `key ${key}: seq ${seq} came after ${previous} (offset ${record.partition}/${record.offset})`,
      )
    }
    last.set(key, seq)
  }
}

export function partitionKey(record: { topic: string; partition: number }): string {
  return `${record.topic}/${record.partition}`
}

/** Keys whose records came from more than one partition. */
export function keysInSeveralPartitions(records: readonly RawRecord[]): string[] {
  const partitionOf = new Map<string, number>()
  const wrong = new Set<string>()
  for (const r of records) {
    const key = text(r.key)!
    if ((partitionOf.get(key) ?? r.partition) !== r.partition) wrong.add(key)
    partitionOf.set(key, r.partition)
  }
  return [...wrong]
}

/** A counter of the distinct values the consumers have received so far; each call looks only at what is new. */
export function distinctValues(consumers: readonly RunningConsumer[]): () => number {
  const seen = new Set<string>()
  const looked = consumers.map(() => 0)
  return () => {
    consumers.forEach((c, i) => {
      for (; looked[i]! < c.records.length; looked[i]!++) seen.add(text(c.records[looked[i]!]!.value)!)
    })
    return seen.size
  }
}

export function offsetsByPartition(records: readonly RawRecord[]): Map<number, number[]> {
  const result = new Map<number, number[]>()
  for (const r of records) result.set(r.partition, [...(result.get(r.partition) ?? []), r.offset])
  for (const list of result.values()) list.sort((x, y) => x - y)
  return new Map([...result.entries()].sort(([x], [y]) => x - y))
}
