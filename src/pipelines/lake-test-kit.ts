// For the lake tests: records to publish, what the bus holds, what the lake holds, and the
// exactly-once check between the two. Not a test file itself.
import { expect } from 'vitest'
import { summarizeCoverage } from '../core/lake/lake-coverage.ts'
import type { LakeRecord } from '../core/lake/lake-line.ts'
import { HOUR_MS, hourStartOf, parseObjectKey } from '../core/lake/object-key.ts'
import type { Bus, ObjectStore, OutgoingRecord, RawRecord } from './ports.ts'
import { listLakeKeys, readLakeObject } from './replay.ts'

/**
 * `count` records spread over `topics`, keyed by 40 keys (every 13th without a key), with JSON
 * values, every 7th value not valid UTF-8, every 5th with headers, and timestamps that cross
 * hour boundaries (some going back a little, as producers' clocks do).
 */
export function makeTestRecords(topics: readonly string[], count: number, startMs: number): OutgoingRecord[] {
  const records: OutgoingRecord[] = []
  const spanMs = 3 * HOUR_MS
  for (let i = 0; i < count; i++) {
    const topic = topics[i % topics.length]!
    const value =
      i % 7 === 3
        ? new Uint8Array([0xff, 0xfe, i & 0xff, 0x80, 0x00, (i >> 8) & 0xff])
        : `{"n":${i},"service":"svc-${i % 40}","message":"event ${i} é ✓"}`
    const record: OutgoingRecord = {
      topic,
      key: i % 13 === 0 ? null : `key-${i % 40}`,
      value,
      timestampMs: Math.floor(startMs + (i * spanMs) / count - (i % 11 === 0 ? 90_000 : 0)),
    }
    if (i % 5 === 0) record.headers = { trace: `t-${i}`, source: 'lake-test' }
    records.push(record)
  }
  return records
}

export async function publishAll(bus: Bus, records: readonly OutgoingRecord[], chunk = 1_000): Promise<void> {
  const producer = bus.createProducer()
  try {
    for (let i = 0; i < records.length; i += chunk) await producer.publish(records.slice(i, i + chunk))
  } finally {
    await producer.close()
  }
}

export const idOf = (r: { topic: string; partition: number; offset: number }) =>
  `${r.topic}+${r.partition}+${r.offset}`

/** Reads `topics` from the start in a group of its own until `count` records arrived. */
export async function readBus(
  bus: Bus,
  topics: string[],
  groupId: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Map<string, RawRecord>> {
  const consumer = bus.createConsumer({ groupId, topics, maxBatchRecords: 5_000 })
  const records = new Map<string, RawRecord>()
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    for await (const batch of consumer.batches(controller.signal)) {
      for (const r of batch.records) records.set(idOf(r), r)
      if (records.size >= count) break
    }
  } finally {
    clearTimeout(timer)
    await consumer.close()
  }
  return records
}

/** How many offsets the lake's objects span in all, from their keys alone. */
export async function countLakeOffsets(store: ObjectStore, topics?: string[]): Promise<number> {
  const coverage = summarizeCoverage(await listLakeKeys(store, topics))
  return coverage.reduce((n, c) => n + c.objects.reduce((m, o) => m + o.lastOffset - o.firstOffset + 1, 0), 0)
}

export interface LakeContent {
  records: Map<string, LakeRecord>
  objects: number
  /** records found in more than one object, or twice in one */
  repeats: string[]
  problems: string[]
}

/** Reads every object; checks each against its key (range, partition, one hour, first record's hour). */
export async function readLake(store: ObjectStore, topics?: string[]): Promise<LakeContent> {
  const content: LakeContent = { records: new Map(), objects: 0, repeats: [], problems: [] }
  const keys = await listLakeKeys(store, topics)
  const coverage = summarizeCoverage(keys)
  for (const c of coverage) {
    if (c.gaps.length > 0) content.problems.push(`${c.topic}+${c.partition}: gaps ${JSON.stringify(c.gaps)}`)
    if (c.overlaps.length > 0)
      content.problems.push(`${c.topic}+${c.partition}: overlaps ${c.overlaps.join(' ')}`)
  }
  for (const key of keys) {
    const parsed = parseObjectKey(key)
    if (!parsed) continue
    content.objects++
    const read = await readLakeObject(store, key)
    if (!read) throw new Error(`${key}: listed but missing`)
    if (read.badLines.length > 0) content.problems.push(`${key}: bad lines ${read.badLines[0]}`)
    const offsets = read.records.map((r) => r.offset)
    if (offsets[0] !== parsed.firstOffset || offsets.at(-1) !== parsed.lastOffset) {
      content.problems.push(`${key}: holds ${offsets[0]}..${offsets.at(-1)}`)
    }
    if (hourStartOf(read.records[0]!.timestampMs) !== parsed.hourStartMs)
      content.problems.push(`${key}: wrong hour`)
    for (const r of read.records) {
      if (r.topic !== parsed.topic || r.partition !== parsed.partition)
        content.problems.push(`${key}: foreign record`)
      if (hourStartOf(r.timestampMs) !== parsed.hourStartMs) content.problems.push(`${key}: spans hours`)
      const id = idOf(r)
      if (content.records.has(id)) content.repeats.push(id)
      content.records.set(id, r)
    }
  }
  return content
}

const hex = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('hex'))

function comparable(r: RawRecord | LakeRecord) {
  return {
    key: hex(r.key),
    value: hex(r.value),
    timestampMs: r.timestampMs,
    headers: r.headers.map(([name, v]) => [name, hex(v)]),
  }
}

/** The lake holds every record of the bus once, byte for byte, and nothing else. */
export function expectExactlyOnce(lake: LakeContent, bus: Map<string, RawRecord>): void {
  expect(lake.problems).toEqual([])
  expect(lake.repeats).toEqual([])
  const missing = [...bus.keys()].filter((id) => !lake.records.has(id))
  const extra = [...lake.records.keys()].filter((id) => !bus.has(id))
  expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ missing: [], extra: [] })
  for (const [id, record] of bus) expect(comparable(lake.records.get(id)!), id).toEqual(comparable(record))
}

/** Polls `check`; a check that throws (a listing while the sink writes, a server restarting) counts as not yet. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * The same bus, with every commit checked against the lake at the moment it is made: the object
 * ending just below the committed offset must already be stored.
 */
export function checkingCommits(bus: Bus, store: ObjectStore, aheadOfStore: string[]): Bus {
  return {
    ensureTopics: (topics, partitions) => bus.ensureTopics(topics, partitions),
    createProducer: () => bus.createProducer(),
    offsetRanges: (topics) => bus.offsetRanges(topics),
    close: () => bus.close(),
    createConsumer(consumerOptions) {
      const consumer = bus.createConsumer(consumerOptions)
      return {
        batches: (signal) => consumer.batches(signal),
        assignment: () => consumer.assignment(),
        close: () => consumer.close(),
        async commit(offsets) {
          const keys = await listWithRetries(store)
          for (const { topic, partition, offset } of offsets) {
            const stored = keys.some(
              (k) => k?.topic === topic && k.partition === partition && k.lastOffset === offset - 1,
            )
            if (!stored) aheadOfStore.push(`${topic}+${partition}@${offset}`)
          }
          return consumer.commit(offsets)
        },
      }
    },
  }
}

/** S3Proxy fails a listing now and then while an upload is in progress: retry for up to 2 s. */
async function listWithRetries(store: ObjectStore): Promise<Array<ReturnType<typeof parseObjectKey>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await listLakeKeys(store)).map(parseObjectKey)
    } catch (error) {
      if (attempt >= 20) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
