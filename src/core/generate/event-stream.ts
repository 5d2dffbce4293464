// A seeded, endless stream of mock events in event-time order, with anomalies injected and malformed
// messages mixed in on request. Pure: the start time is given, nothing reads a clock, and the same
// options give the same messages, byte for byte.
//
// Event time: the n-th message (from 0) is stamped startMs + floor(n * 1000 / eventRatePerSecond).
// Each service reports one metric per `metricIntervalMs` of event time; the slots between them carry
// logs and transactions. Malformed messages take slots too but never count toward detection.
import type { EventTopic } from '../../contracts/topics.ts'
import { type AnomalyEpisode, createAnomalyInjector, type InjectionKind } from './anomaly-injector.ts'
import type { AnomalyRule } from './anomaly-spec.ts'
import {
  CURRENCIES,
  CURRENCY_WEIGHTS,
  fillMessage,
  LOG_TEMPLATES,
  MERCHANTS,
  NATURAL_LEVEL_WEIGHTS,
  NATURAL_LEVELS,
  pickUserId,
  SERVICE_LOG_WEIGHTS,
  SERVICES,
  SERVICES_WITH_USERS,
  type Service,
  TRANSACTION_STATUS_WEIGHTS,
  TRANSACTION_STATUSES,
} from './catalog.ts'
import { createErrorBudget } from './error-budget.ts'
import { createMalformedMessage, MALFORMED_TAGS, type MalformedTag, TOPICS_OF_TAG } from './malformed.ts'
import { createMetricWalk, type MetricReading } from './metric-walk.ts'
import { createPrng } from './prng.ts'
import { createTimestampFormatter, encodeLog, encodeMetric, encodeTransaction, roundTo } from './wire.ts'

export interface EventStreamOptions {
  /** 0..2^32-1; the same seed and start give the same stream */
  seed: number
  /** event time of the first message, UTC epoch milliseconds */
  startMs: number
  /** messages per second of event time */
  eventRatePerSecond: number
  /** which topics to produce (default all three) */
  topics?: readonly EventTopic[]
  /** probability per message that an anomaly injection starts (subject to spacing); default 0 */
  anomalyRatio?: number
  /** share of messages replaced by malformed ones; default 0 */
  malformedRatio?: number
  /** add a deterministic `event_id` to every valid message */
  eventIds?: boolean
}

export interface GeneratedEvent {
  topic: EventTopic
  key: string
  /** the message; bytes only for the malformed `invalid_utf8` */
  value: string | Uint8Array
  /** UTC epoch milliseconds (for a malformed message, the slot's time, whatever its value says) */
  eventTimeMs: number
  /** set on malformed messages: what is wrong with it */
  malformed?: MalformedTag
  /** set on the events of an injected anomaly: its `AnomalyEpisode.id` */
  injected?: string
}

/** What a stream has produced so far: what the detector must find, and what the cleaner must reject. */
export interface GenerationManifest {
  seed: number
  startMs: number
  eventRatePerSecond: number
  topics: EventTopic[]
  anomalyRatio: number
  malformedRatio: number
  /** messages generated, valid and malformed */
  events: number
  /** event time of the last message generated, or null before the first */
  lastEventTimeMs: number | null
  eventsByTopic: Record<EventTopic, number>
  /** in order of first seen */
  anomalies: AnomalyEpisode[]
  anomaliesByRule: Record<AnomalyRule, number>
  /** injections that spacing forbade, by kind */
  skippedInjections: Record<InjectionKind, number>
  malformed: Partial<Record<MalformedTag, number>>
}

export interface EventStream extends Iterable<GeneratedEvent> {
  next(): GeneratedEvent
  /** the next `count` messages */
  take(count: number): GeneratedEvent[]
  /** event time the next message will have */
  nextEventTimeMs(): number
  manifest(): GenerationManifest
}

const ALL_TOPICS: readonly EventTopic[] = ['logs', 'metrics', 'transactions']
/** Of the slots between metrics, the share that carries a log when both logs and transactions are produced. */
const LOG_SHARE = 0.6
/** Metrics never take more than this share of the slots when other topics are produced. */
const MAX_METRIC_SHARE = 0.5

export function createEventStream(options: EventStreamOptions): EventStream {
  const { seed, startMs, eventRatePerSecond } = options
  // options are configuration, checked once: a bad one is a programming error, not bad data
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new RangeError('seed must be 0..2^32-1')
  if (!(eventRatePerSecond > 0)) throw new RangeError('eventRatePerSecond must be > 0')
  const topics = ALL_TOPICS.filter((t) => (options.topics ?? ALL_TOPICS).includes(t))
  if (topics.length === 0) throw new RangeError('at least one topic is needed')
  const anomalyRatio = options.anomalyRatio ?? 0
  const malformedRatio = options.malformedRatio ?? 0
  const hasLogs = topics.includes('logs')
  const hasMetrics = topics.includes('metrics')
  const hasTransactions = topics.includes('transactions')
  const metricsOnly = hasMetrics && topics.length === 1
  const metricIntervalMs = Math.max(1000, (SERVICES.length * 1000) / (eventRatePerSecond * MAX_METRIC_SHARE))

  const prng = createPrng(seed)
  const errorBudget = createErrorBudget()
  const walks = new Map<Service, ReturnType<typeof createMetricWalk>>(
    SERVICES.map((s) => [s, createMetricWalk(prng)]),
  )
  const kinds: InjectionKind[] = [
    ...(hasLogs ? (['error_burst'] as const) : []),
    ...(hasMetrics ? (['cpu_spike', 'latency_spike'] as const) : []),
    ...(hasTransactions ? (['large_transaction'] as const) : []),
  ]
  const newTransactionId = () => `t-${prng.hex(16)}`
  const injector = createAnomalyInjector({ prng, ratio: anomalyRatio, kinds, errorBudget, newTransactionId })
  const eventIdPrefix = `g${seed.toString(16)}-${startMs.toString(36)}-`

  const formatTimestamp = createTimestampFormatter()
  let index = 0
  let nextTickMs = startMs
  const pendingMetrics: Service[] = []
  let malformedCursor = 0
  const eventsByTopic: Record<EventTopic, number> = { logs: 0, metrics: 0, transactions: 0 }
  const malformedCounts: Partial<Record<MalformedTag, number>> = {}

  const timeOf = (n: number) => startMs + Math.floor((n * 1000) / eventRatePerSecond)
  const eventId = () => (options.eventIds ? `${eventIdPrefix}${index}` : undefined)

  const nextMalformedTag = (): MalformedTag => {
    for (;;) {
      const tag = MALFORMED_TAGS[malformedCursor % MALFORMED_TAGS.length]!
      malformedCursor += 1
      if (TOPICS_OF_TAG[tag].some((t) => topics.includes(t))) return tag
    }
  }

  const malformed = (tsMs: number): GeneratedEvent => {
    const tag = nextMalformedTag()
    const topic = prng.pick(TOPICS_OF_TAG[tag].filter((t) => topics.includes(t)))
    malformedCounts[tag] = (malformedCounts[tag] ?? 0) + 1
    return { topic, ...createMalformedMessage(tag, topic, tsMs, prng), eventTimeMs: tsMs, malformed: tag }
  }

  const metric = (service: Service, tsMs: number): GeneratedEvent => {
    const natural: MetricReading = walks.get(service)!.step()
    const injected = injector.overrideMetric(service, tsMs, natural)
    const reading = injected?.reading ?? natural
    const value = encodeMetric({
      event_id: eventId(),
      timestamp: formatTimestamp(tsMs),
      service,
      cpu: reading.cpu,
      latency_ms: reading.latencyMs,
    })
    return withInjection({ topic: 'metrics', key: service, value, eventTimeMs: tsMs }, injected?.injectionId)
  }

  const log = (service: Service, level: string, tsMs: number, injectedId?: string): GeneratedEvent => {
    const templates = LOG_TEMPLATES[service]
    const message = fillMessage(prng.pick(templates[level as keyof typeof templates]), prng)
    const userId = SERVICES_WITH_USERS.has(service) && prng.chance(0.7) ? pickUserId(prng) : undefined
    const value = encodeLog({
      event_id: eventId(),
      timestamp: formatTimestamp(tsMs),
      service,
      level,
      message,
      user_id: userId,
    })
    return withInjection({ topic: 'logs', key: service, value, eventTimeMs: tsMs }, injectedId)
  }

  const naturalLog = (tsMs: number): GeneratedEvent => {
    const service = prng.weighted(SERVICES, SERVICE_LOG_WEIGHTS)
    let level = prng.weighted(NATURAL_LEVELS, NATURAL_LEVEL_WEIGHTS)
    if (level === 'ERROR' && !errorBudget.allow(service, tsMs)) level = 'WARN'
    return log(service, level, tsMs)
  }

  const transaction = (tsMs: number, large?: { id: string; transactionId: string; amount: number }) => {
    const userId = pickUserId(prng)
    // log-normal: median ~38, a long tail, capped below the large_transaction threshold
    const amount =
      large?.amount ?? roundTo(Math.min(9_999.99, Math.max(0.5, Math.exp(3.65 + 1.25 * prng.normal()))), 2)
    const value = encodeTransaction({
      event_id: eventId(),
      timestamp: formatTimestamp(tsMs),
      transaction_id: large?.transactionId ?? newTransactionId(),
      user_id: userId,
      amount,
      currency: prng.weighted(CURRENCIES, CURRENCY_WEIGHTS),
      merchant: prng.pick(MERCHANTS),
      status: prng.weighted(TRANSACTION_STATUSES, TRANSACTION_STATUS_WEIGHTS),
    })
    return withInjection({ topic: 'transactions', key: userId, value, eventTimeMs: tsMs }, large?.id)
  }

  const valid = (tsMs: number): GeneratedEvent => {
    if (hasMetrics && pendingMetrics.length === 0 && (metricsOnly || tsMs >= nextTickMs)) {
      pendingMetrics.push(...SERVICES)
      nextTickMs += metricIntervalMs
    }
    const service = pendingMetrics.shift()
    if (service) return metric(service, tsMs)
    const due = injector.takeDue(tsMs)
    if (due?.kind === 'burst_error') return log(due.service as Service, 'ERROR', tsMs, due.injectionId)
    if (due?.kind === 'large_transaction') {
      return transaction(tsMs, { id: due.injectionId, transactionId: due.transactionId, amount: due.amount })
    }
    if (hasLogs && (!hasTransactions || prng.chance(LOG_SHARE))) return naturalLog(tsMs)
    return transaction(tsMs)
  }

  const next = (): GeneratedEvent => {
    const tsMs = timeOf(index)
    const event = malformedRatio > 0 && prng.chance(malformedRatio) ? malformed(tsMs) : valid(tsMs)
    injector.maybeStart(tsMs)
    index += 1
    eventsByTopic[event.topic] += 1
    return event
  }

  return {
    next,
    take(count) {
      const out = new Array<GeneratedEvent>(count)
      for (let i = 0; i < count; i++) out[i] = next()
      return out
    },
    nextEventTimeMs: () => timeOf(index),
    *[Symbol.iterator]() {
      for (;;) yield next()
    },
    manifest() {
      const anomalies = injector.episodes()
      const anomaliesByRule = { error_burst: 0, high_cpu: 0, high_latency: 0, large_transaction: 0 }
      for (const a of anomalies) anomaliesByRule[a.rule] += 1
      return {
        seed,
        startMs,
        eventRatePerSecond,
        topics: [...topics],
        anomalyRatio,
        malformedRatio,
        events: index,
        lastEventTimeMs: index === 0 ? null : timeOf(index - 1),
        eventsByTopic: { ...eventsByTopic },
        anomalies,
        anomaliesByRule,
        skippedInjections: injector.skipped(),
        malformed: { ...malformedCounts },
      }
    },
  }
}

function withInjection(event: GeneratedEvent, injectionId: string | undefined): GeneratedEvent {
  if (injectionId !== undefined) event.injected = injectionId
  return event
}
