// produce: generate mock events -> publish them in batches, paced on wall time.
// One batch is published while the next is generated: at most two batches exist at once. Records
// are not retried here: the Kafka producer retries within its idempotent session, and publishing a
// batch again after a failure could double the records that did land.
//
// Event time: with ratePerSecond > 0 it follows wall time from the start (default now). With
// ratePerSecond 0 (as fast as possible) it advances at eventRatePerSecond (default 5000) and the
// default start is now - count / eventRate, so that the stream ends about now; without a count, it
// starts now and is held back so that it never runs more than MAX_LEAD_MS ahead of the wall clock
// (the cleaner rejects events more than 5 minutes in the future).
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { EventTopic, TopicNames } from '../contracts/topics.ts'
import type { AnomalyRule } from '../core/generate/anomaly-spec.ts'
import {
  createEventStream,
  type GeneratedEvent,
  type GenerationManifest,
} from '../core/generate/event-stream.ts'
import type { MalformedTag } from '../core/generate/malformed.ts'
import { type Logger, silentLogger } from '../observability/logger.ts'
import type { Bus, OutgoingRecord } from './ports.ts'
import { createTokenBucket } from './token-bucket.ts'

export const DEFAULT_EVENT_RATE_PER_SECOND = 5_000
export const DEFAULT_BATCH_SIZE = 5_000
/** With ratePerSecond 0 and no start given, event time stays at most this far ahead of the wall clock. */
export const MAX_LEAD_MS = 60_000

export interface ProduceStreamOptions {
  /** 0..2^32-1 */
  seed: number
  /** event time of the first event, UTC epoch ms; default: see the top of this file */
  startMs?: number
  /** events per second of event time when ratePerSecond is 0; default 5000 */
  eventRatePerSecond?: number
  /** logical topics to produce; default all three */
  topics?: readonly EventTopic[]
  anomalyRatio?: number
  malformedRatio?: number
  eventIds?: boolean
}

export interface ProduceOptions {
  bus: Bus
  topicNames: TopicNames
  stream: ProduceStreamOptions
  /** events per second of wall time; 0: as fast as the bus takes them */
  ratePerSecond: number
  /** stop after this many events */
  count?: number
  /** stop after this much wall time */
  durationMs?: number
  /** most events per publish; default 5000 (paced runs use ~100 ms worth, so event time stays near now) */
  batchSize?: number
  logger?: Logger
}

export interface ProduceProgress {
  sent: number
  /** the planned total, when a count was given */
  count: number | undefined
  elapsedMs: number
  /** achieved, since the start */
  ratePerSecond: number
  /** event time of the last event sent */
  eventTimeMs: number
}

export interface ProduceSummary {
  sent: number
  /** full topic name -> events sent */
  sentByTopic: Record<string, number>
  elapsedMs: number
  /** achieved: sent / elapsed */
  ratePerSecond: number
  injected: Record<AnomalyRule, number>
  malformed: Partial<Record<MalformedTag, number>>
  startMs: number
  eventRatePerSecond: number
  stoppedBy: 'count' | 'duration' | 'signal'
  manifest: GenerationManifest
}

export async function runProduce(
  options: ProduceOptions,
  signal: AbortSignal,
  onProgress?: (progress: ProduceProgress) => void,
): Promise<ProduceSummary> {
  const { bus, topicNames, ratePerSecond, count, durationMs } = options
  const logger = (options.logger ?? silentLogger).child({ stage: 'produce' })
  if (!(ratePerSecond >= 0)) throw new RangeError('ratePerSecond must be >= 0')
  const paced = ratePerSecond > 0
  const eventRatePerSecond = paced
    ? ratePerSecond
    : (options.stream.eventRatePerSecond ?? DEFAULT_EVENT_RATE_PER_SECOND)
  const startMs =
    options.stream.startMs ??
    (!paced && count !== undefined ? Date.now() - Math.ceil((count * 1000) / eventRatePerSecond) : Date.now())
  const holdToWallClock = !paced && options.stream.startMs === undefined
  const stream = createEventStream({ ...options.stream, startMs, eventRatePerSecond })
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  // paced: ~100 ms of events per batch, so no event is sent long before its time
  const batchLimit = paced ? Math.min(batchSize, Math.max(1, Math.ceil(ratePerSecond / 10))) : batchSize
  const bucket = paced ? createTokenBucket({ ratePerSecond, capacity: batchLimit, nowMs: 0 }) : undefined

  const producer = bus.createProducer()
  const startedAt = performance.now()
  const elapsedMs = () => performance.now() - startedAt
  const sentByTopic: Record<string, number> = {}
  let sent = 0
  let generated = 0
  let lastEventTimeMs = startMs
  let inFlight: Promise<void> | undefined
  let failure: { error: unknown } | undefined
  let stoppedBy: ProduceSummary['stoppedBy'] = 'signal'

  logger.info(
    {
      seed: options.stream.seed,
      start: new Date(startMs).toISOString(),
      ratePerSecond,
      eventRatePerSecond,
      count,
      durationMs,
    },
    'producing',
  )

  const publish = (events: GeneratedEvent[]) => {
    const records: OutgoingRecord[] = events.map((e) => ({
      topic: topicNames.full(e.topic),
      key: e.key,
      value: e.value,
    }))
    return producer.publish(records).then(
      () => {
        for (const record of records) sentByTopic[record.topic] = (sentByTopic[record.topic] ?? 0) + 1
        sent += records.length
        lastEventTimeMs = events[events.length - 1]!.eventTimeMs
        const elapsed = elapsedMs()
        onProgress?.({
          sent,
          count,
          elapsedMs: elapsed,
          ratePerSecond: rate(sent, elapsed),
          eventTimeMs: lastEventTimeMs,
        })
      },
      (error: unknown) => {
        failure = { error }
      },
    )
  }

  try {
    for (;;) {
      if (failure) break
      if (signal.aborted) break
      if (count !== undefined && generated >= count) {
        stoppedBy = 'count'
        break
      }
      if (durationMs !== undefined && elapsedMs() >= durationMs) {
        stoppedBy = 'duration'
        break
      }
      const size = count === undefined ? batchLimit : Math.min(batchLimit, count - generated)
      let waitMs = bucket?.reserve(size, elapsedMs()) ?? 0
      if (holdToWallClock) {
        const lastOfBatchMs = stream.nextEventTimeMs() + ((size - 1) * 1000) / eventRatePerSecond
        waitMs = Math.max(waitMs, lastOfBatchMs - MAX_LEAD_MS - Date.now())
      }
      if (waitMs > 0) {
        const untilDeadlineMs = durationMs === undefined ? Number.POSITIVE_INFINITY : durationMs - elapsedMs()
        await sleep(Math.min(waitMs, Math.max(0, untilDeadlineMs)), undefined, { signal }).catch(
          () => undefined,
        )
        if (waitMs > untilDeadlineMs) continue // the deadline came first: stop at the top of the loop
        if (signal.aborted) break
      } else {
        // A bus that answers in microtasks (the memory bus) would otherwise keep timers, signals
        // and every other pipeline of the process waiting until the run ends.
        await yieldToEventLoop()
      }
      const events = stream.take(size)
      generated += size
      if (inFlight) await inFlight
      if (failure) break
      inFlight = publish(events)
    }
    if (inFlight) await inFlight
  } finally {
    await producer.close().catch((error: unknown) => {
      failure ??= { error }
    })
  }
  if (failure) throw failure.error

  const manifest = stream.manifest()
  const elapsed = elapsedMs()
  const summary: ProduceSummary = {
    sent,
    sentByTopic,
    elapsedMs: elapsed,
    ratePerSecond: rate(sent, elapsed),
    injected: manifest.anomaliesByRule,
    malformed: manifest.malformed,
    startMs,
    eventRatePerSecond,
    stoppedBy,
    manifest,
  }
  logger.info(
    {
      sent,
      sentByTopic,
      elapsedMs: Math.round(elapsed),
      ratePerSecond: Math.round(summary.ratePerSecond),
      stoppedBy,
    },
    'produced',
  )
  return summary
}

function rate(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0
}
