// Replay: list the lake -> pick the objects (topics, time window) -> read each partition's
// objects in offset order -> publish the records as they were received (key and value bytes,
// headers, timestamps) to their topic or to `toTopic`.
//
// Order: records of one source partition are published in offset order, one batch after another
// (the producer keeps order per key). An offset already published (overlapping objects, which a
// correct sink never writes) is skipped, so a replay never doubles a record. A replay is not
// resumable: running it again publishes again.
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { type CoverageFilter, isInTimeRange, summarizeCoverage } from '../core/lake/lake-coverage.ts'
import { decodeLakeLine, type LakeRecord } from '../core/lake/lake-line.ts'
import { topicKeyPrefix } from '../core/lake/object-key.ts'
import type { Logger } from '../observability/logger.ts'
import { createStoreRetry, type RetryPolicy } from './lake-archive.ts'
import type { BusProducer, ObjectStore, OutgoingRecord } from './ports.ts'

const gunzipAsync = promisify(gunzip)

export interface ReplayOptions {
  /** full names of the topics to replay; every topic in the lake when absent */
  topics?: string[]
  /** records whose timestamp is in [sinceMs, untilMs) */
  sinceMs?: number
  untilMs?: number
  /** publish every record to this topic instead of its own */
  toTopic?: string
  /** records per publish */
  publishBatchRecords?: number
  retry?: RetryPolicy
}

export interface ReplayProgress {
  objectsRead: number
  objectsTotal: number
  recordsPublished: number
}

export interface ReplaySummary extends ReplayProgress {
  partitions: number
  /** records in the objects read that fell outside the time window */
  recordsOutsideWindow: number
  /** records of overlapping objects, published once */
  duplicatesSkipped: number
  /** offset ranges no object holds, between objects of a partition (without a time window, a correct lake has none) */
  gaps: number
  /** lines that are not archived records (reported, skipped) */
  badLines: number
  /** tombstones (null value): published with an empty value, as the bus port cannot publish null */
  nullValues: number
  /** records whose headers could not be reproduced byte for byte (the bus port takes text headers) */
  headersNotExact: number
  elapsedMs: number
}

export interface ReplayDeps {
  store: ObjectStore
  producer: BusProducer
  logger: Logger
  onProgress?: (progress: ReplayProgress) => void
}

/** The records of one lake object, and the lines that did not decode. */
export async function readLakeObject(
  store: ObjectStore,
  key: string,
): Promise<{ records: LakeRecord[]; badLines: string[] } | undefined> {
  const compressed = await store.get(key)
  if (compressed === undefined) return undefined
  const text = (await gunzipAsync(compressed)).toString('utf8')
  const records: LakeRecord[] = []
  const badLines: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const decoded = decodeLakeLine(line)
    if (decoded.ok) records.push(decoded.record)
    else badLines.push(decoded.problem)
  }
  return { records, badLines }
}

/** Every object key of the given topics (all topics when absent). */
export async function listLakeKeys(store: ObjectStore, topics?: readonly string[]): Promise<string[]> {
  const keys: string[] = []
  for (const prefix of topics ? topics.map(topicKeyPrefix) : ['topic=']) {
    for await (const object of store.list(prefix)) keys.push(object.key)
  }
  return keys
}

export async function replayLake(
  deps: ReplayDeps,
  options: ReplayOptions,
  signal: AbortSignal,
): Promise<ReplaySummary> {
  const { store, producer } = deps
  const logger = deps.logger.child({ stage: 'replay' })
  const startedMs = Date.now()
  const retry = createStoreRetry(store, logger, options.retry ?? { initialDelayMs: 200, maxDelayMs: 10_000 })
  const batchRecords = options.publishBatchRecords ?? 1_000
  const { sinceMs, untilMs } = options

  const keys = await retry('list the lake', () => listLakeKeys(store, options.topics), signal)
  const filter: CoverageFilter = {
    ...(options.topics ? { topics: new Set(options.topics) } : {}),
    ...(sinceMs === undefined ? {} : { sinceMs }),
    ...(untilMs === undefined ? {} : { untilMs }),
  }
  const coverage = summarizeCoverage(keys, filter)
  const summary: ReplaySummary = {
    partitions: coverage.length,
    objectsRead: 0,
    objectsTotal: coverage.reduce((n, c) => n + c.objects.length, 0),
    recordsPublished: 0,
    recordsOutsideWindow: 0,
    duplicatesSkipped: 0,
    gaps: coverage.reduce((n, c) => n + c.gaps.length, 0),
    badLines: 0,
    nullValues: 0,
    headersNotExact: 0,
    elapsedMs: 0,
  }
  logger.info(
    { store: store.url, partitions: summary.partitions, objects: summary.objectsTotal, sinceMs, untilMs },
    'replay planned',
  )

  let pending: OutgoingRecord[] = []
  const flush = async () => {
    if (pending.length === 0) return
    await producer.publish(pending)
    summary.recordsPublished += pending.length
    pending = []
  }

  for (const partition of coverage) {
    let publishedUpTo = -1
    for (const object of partition.objects) {
      if (signal.aborted) break
      const read = await retry(`get ${object.key}`, () => readLakeObject(store, object.key), signal)
      summary.objectsRead++
      if (!read) {
        logger.warn({ key: object.key }, 'object listed but gone; skipped')
        continue
      }
      if (read.badLines.length > 0) {
        summary.badLines += read.badLines.length
        logger.warn(
          { key: object.key, count: read.badLines.length, first: read.badLines[0] },
          'lines skipped',
        )
      }
      for (const record of read.records) {
        if (record.offset <= publishedUpTo) {
          summary.duplicatesSkipped++
          continue
        }
        publishedUpTo = record.offset
        if (!isInTimeRange(record.timestampMs, sinceMs, untilMs)) {
          summary.recordsOutsideWindow++
          continue
        }
        pending.push(toOutgoing(record, options.toTopic, summary))
        if (pending.length >= batchRecords) await flush()
      }
      // Keep one partition's order and bound memory: publish what an object gave before the next.
      await flush()
      deps.onProgress?.({
        objectsRead: summary.objectsRead,
        objectsTotal: summary.objectsTotal,
        recordsPublished: summary.recordsPublished,
      })
    }
  }
  await flush()
  summary.elapsedMs = Date.now() - startedMs
  logger.info(summary, signal.aborted ? 'replay stopped early' : 'replay done')
  return summary
}

const EMPTY = new Uint8Array(0)

function toOutgoing(record: LakeRecord, toTopic: string | undefined, summary: ReplaySummary): OutgoingRecord {
  if (record.value === null) summary.nullValues++
  const outgoing: OutgoingRecord = {
    topic: toTopic ?? record.topic,
    key: record.key,
    value: record.value ?? EMPTY,
    timestampMs: record.timestampMs,
  }
  if (record.headers.length > 0) {
    const headers: Record<string, string> = {}
    let exact = true
    for (const [name, bytes] of record.headers) {
      const text = Buffer.from(bytes).toString('utf8')
      if (name in headers || !Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) exact = false
      headers[name] = text
    }
    if (!exact) summary.headersNotExact++
    outgoing.headers = headers
  }
  return outgoing
}
