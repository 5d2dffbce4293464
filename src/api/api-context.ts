// What the routes share: the adapters, the settings that bound each request's cost, the clock.
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Database } from '../adapters/postgres/database.ts'
import type { TopicNames } from '../contracts/topics.ts'
import type { Rule } from '../core/detect/index.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { HttpMetrics } from './http-metrics.ts'
import type { IngestDeps } from './ingest/ingest-events.ts'
import type { AnomalyFeed } from './stream/anomaly-feed.ts'
import type { CountersFeed } from './stream/counters-feed.ts'

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>

/** One readiness check: resolves `{ ok: false, reason }` (or rejects) when the dependency is not usable. */
export type HealthCheck = () => Promise<{ ok: boolean; reason?: string }>

/** Records not yet consumed, per consumer group and partition, as the bus reports them. */
export interface ConsumerLagSample {
  group: string
  topic: string
  partition: number
  records: number
}

export interface ApiLimits {
  /** largest `limit` of a listing */
  maxPageSize: number
  defaultPageSize: number
  /** longest time range of one request */
  maxRangeMs: number
  /** largest ingest body, once decompressed */
  maxIngestBytes: number
  maxIngestEvents: number
  maxStreamClients: number
  /** events returned with an anomaly, at most */
  maxAnomalyEvents: number
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxPageSize: 1_000,
  defaultPageSize: 100,
  maxRangeMs: 31 * 86_400_000,
  maxIngestBytes: 10 * 1024 * 1024,
  maxIngestEvents: 10_000,
  maxStreamClients: 200,
  maxAnomalyEvents: 1_000,
}

export interface StreamSettings {
  /** the poll that stands in for a lost NOTIFY */
  pollIntervalMs: number
  /** longer than any write transaction on `anomalies` (see anomaly-feed.ts) */
  lookbackMs: number
  heartbeatMs: number
  countersIntervalMs: number
  countersWindowMs: number
  countersDelayMs: number
  retryMs: number
  /** a client whose socket holds more than this unread is disconnected */
  maxBufferedBytes: number
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  pollIntervalMs: 2_000,
  lookbackMs: 30_000,
  heartbeatMs: 15_000,
  countersIntervalMs: 1_000,
  countersWindowMs: 5_000,
  countersDelayMs: 2_000,
  retryMs: 3_000,
  maxBufferedBytes: 1024 * 1024,
}

export interface ApiContext {
  db: Database
  logger: Logger
  rules: readonly Rule[]
  names: TopicNames
  metrics: Metrics
  httpMetrics: HttpMetrics
  now: () => number
  limits: ApiLimits
  stream: StreamSettings
  /** absent: no bus, ingest answers 503 */
  ingest: IngestDeps | undefined
  checks: Record<string, HealthCheck>
  consumerLag: (() => Promise<ConsumerLagSample[]>) | undefined
  anomalyFeed: AnomalyFeed
  countersFeed: CountersFeed
}
