// The lake sink's side of the object store: find where each partition's archive ends (recover),
// and store one sealed object (archive), with the checkpoint protocol of core/lake/checkpoint.ts.
// Every store call is retried with exponential backoff while the error is retriable; an outage
// is logged once when it starts and once when it ends.
import { once } from 'node:events'
import { createGzip } from 'node:zlib'
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  nextOffsetFromKeys,
  type Resume,
  resumeFromCheckpoint,
} from '../core/lake/checkpoint.ts'
import type { SealedObject } from '../core/lake/lake-batcher.ts'
import { checkpointKey, topicKeyPrefix } from '../core/lake/object-key.ts'
import { isRetriable } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'
import type { ObjectStore, TopicPartition } from './ports.ts'

export interface RetryPolicy {
  initialDelayMs: number
  maxDelayMs: number
}

export interface LakeArchive {
  /** Where each partition resumes; a partition the lake holds nothing of is left out. */
  recover(partitions: readonly TopicPartition[], signal: AbortSignal): Promise<Map<string, Resume>>
  /**
   * Stores `object`, whose partition's archive so far ends at `archivedNext` (undefined: nothing
   * of it archived yet). `stillOwned` is asked before each write: once it says no, nothing more
   * is written. Resolves to the compressed size, or undefined when it stopped for lost ownership.
   */
  archive(
    object: SealedObject,
    archivedNext: number | undefined,
    stillOwned: () => boolean,
    signal: AbortSignal,
  ): Promise<number | undefined>
  /** store calls that failed and were retried, since start */
  readonly retries: number
}

export interface LakeArchiveDeps {
  store: ObjectStore
  logger: Logger
  retry: RetryPolicy
  /** zlib level 1..9 */
  gzipLevel: number
}

export function partitionId(tp: TopicPartition): string {
  return `${tp.topic}+${tp.partition}`
}

export interface StoreRetry {
  /** Calls `call` until it succeeds or fails for good; an abort during a wait rethrows the last error. */
  <T>(action: string, call: () => Promise<T>, signal: AbortSignal): Promise<T>
  /** calls that failed and were retried, since creation */
  readonly retries: number
}

/**
 * Retries store calls while their error is retriable, with exponential backoff and jitter. An
 * outage is logged when it starts and when it ends, not at every failed call.
 */
export function createStoreRetry(store: ObjectStore, logger: Logger, policy: RetryPolicy): StoreRetry {
  let retries = 0
  let outageSinceMs: number | undefined
  let outageFailures = 0

  async function withRetry<T>(action: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let delayMs = policy.initialDelayMs
    for (;;) {
      try {
        const result = await call()
        if (outageSinceMs !== undefined) {
          logger.info(
            { store: store.url, downMs: Date.now() - outageSinceMs, failedCalls: outageFailures },
            'object store is back; resuming',
          )
          outageSinceMs = undefined
          outageFailures = 0
        }
        return result
      } catch (error) {
        if (!isRetriable(error) || signal.aborted) throw error
        retries++
        outageFailures++
        if (outageSinceMs === undefined) {
          outageSinceMs = Date.now()
          logger.warn(
            { store: store.url, action, err: error },
            'object store unavailable; pausing, retrying with backoff',
          )
        }
        const jitteredMs = delayMs / 2 + Math.random() * (delayMs / 2)
        const aborted = await sleep(jitteredMs, signal)
        if (aborted) throw error
        delayMs = Math.min(policy.maxDelayMs, delayMs * 2)
      }
    }
  }
  return Object.defineProperty(withRetry, 'retries', { get: () => retries }) as StoreRetry
}

export function createLakeArchive({ store, logger, retry, gzipLevel }: LakeArchiveDeps): LakeArchive {
  const withRetry = createStoreRetry(store, logger, retry)

  async function readCheckpoint(tp: TopicPartition, signal: AbortSignal): Promise<Checkpoint | undefined> {
    const key = checkpointKey(tp.topic, tp.partition)
    const bytes = await withRetry(`get ${key}`, () => store.get(key), signal)
    if (bytes === undefined) return undefined
    const decoded = decodeCheckpoint(Buffer.from(bytes).toString('utf8'), tp.topic, tp.partition)
    if (decoded.ok) return decoded.checkpoint
    logger.warn(
      { key, problem: decoded.problem },
      'checkpoint unreadable; finding the end of the partition by listing',
    )
    return undefined
  }

  async function listTopicKeys(topic: string, signal: AbortSignal): Promise<string[]> {
    return withRetry(
      `list ${topicKeyPrefix(topic)}`,
      async () => {
        const keys: string[] = []
        for await (const object of store.list(topicKeyPrefix(topic))) keys.push(object.key)
        return keys
      },
      signal,
    )
  }

  return {
    async recover(partitions, signal) {
      const resumes = new Map<string, Resume>()
      const unknown: TopicPartition[] = []
      await forEachLimited(partitions, 8, async (tp) => {
        const checkpoint = await readCheckpoint(tp, signal)
        if (!checkpoint) {
          unknown.push(tp)
          return
        }
        const pending = checkpoint.pending
        const stored =
          pending !== null &&
          (await withRetry(`head ${pending.key}`, () => store.head(pending.key), signal)) !== undefined
        const resume = resumeFromCheckpoint(checkpoint, stored)
        resumes.set(partitionId(tp), resume)
        if (resume.expect) {
          logger.info(
            { ...tp, nextOffset: resume.nextOffset, expect: resume.expect.key },
            'the last object was not stored before the stop; rewriting it from the same records',
          )
        }
      })
      // No checkpoint (a lake older than them, or one deleted): the objects themselves say where
      // the archive ends. One listing per topic serves all of its partitions.
      for (const topic of new Set(unknown.map((tp) => tp.topic))) {
        const ofTopic = unknown.filter((tp) => tp.topic === topic)
        const keys = await listTopicKeys(topic, signal)
        for (const tp of ofTopic) {
          const nextOffset = nextOffsetFromKeys(keys, tp.topic, tp.partition)
          if (nextOffset === undefined) continue
          resumes.set(partitionId(tp), { nextOffset, expect: null })
          logger.info({ ...tp, nextOffset }, 'no checkpoint; found the end of the partition by listing')
          const checkpoint: Checkpoint = { ...tp, nextOffset, pending: null }
          const key = checkpointKey(tp.topic, tp.partition)
          await withRetry(
            `put ${key}`,
            () => store.put(key, Buffer.from(encodeCheckpoint(checkpoint))),
            signal,
          )
        }
      }
      return resumes
    },

    async archive(object, archivedNext, stillOwned, signal) {
      const body = await gzipChunks(object.chunks, gzipLevel)
      const checkpoint: Checkpoint = {
        topic: object.topic,
        partition: object.partition,
        nextOffset: archivedNext ?? object.firstOffset,
        pending: { key: object.key, firstOffset: object.firstOffset, lastOffset: object.lastOffset },
      }
      const key = checkpointKey(object.topic, object.partition)
      // The intent first: a crash after it leaves a checkpoint that names this object, so the
      // restart either finds it stored or rewrites exactly it (checkpoint.ts).
      if (!stillOwned()) return undefined
      await withRetry(`put ${key}`, () => store.put(key, Buffer.from(encodeCheckpoint(checkpoint))), signal)
      if (!stillOwned()) return undefined
      await withRetry(`put ${object.key}`, () => store.put(object.key, body), signal)
      return body.byteLength
    },

    get retries() {
      return withRetry.retries
    },
  }
}

/** Compresses an object's chunks as one gzip member, without first joining them (up to 64 MiB). */
async function gzipChunks(chunks: readonly Buffer[], level: number): Promise<Buffer> {
  const gzip = createGzip({ level })
  const out: Buffer[] = []
  gzip.on('data', (data: Buffer) => out.push(data))
  const ended = once(gzip, 'end')
  for (const chunk of chunks) gzip.write(chunk)
  gzip.end()
  await ended
  return Buffer.concat(out)
}

/** Resolves true if `signal` aborted before `ms` passed. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (aborted: boolean) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      resolve(aborted)
    }
    const onAbort = () => done(true)
    const timer = setTimeout(() => done(false), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!)
  })
  await Promise.all(workers)
}
