// buildApp(): the HTTP API as a Fastify instance, not listening (tests call inject(); serve-api.ts
// listens). The order of the hooks is the order of the checks: rate limit, then auth, then
// validation; errors are `{ error, message }`; routes are documented from their schemas.
import { readFileSync } from 'node:fs'
import fastifyCors from '@fastify/cors'
import fastifyRateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Database } from '../adapters/postgres/database.ts'
import { createTopicNames, type TopicNames } from '../contracts/topics.ts'
import { type CleanPolicy, DEFAULT_CLEAN_POLICY } from '../core/clean/index.ts'
import { DEFAULT_RULES, type Rule } from '../core/detect/index.ts'
import { type Logger, silentLogger } from '../observability/logger.ts'
import { createMetrics, type Metrics } from '../observability/metrics.ts'
import type { Bus } from '../pipelines/ports.ts'
import {
  type ApiContext,
  type ApiInstance,
  type ApiLimits,
  type ConsumerLagSample,
  DEFAULT_LIMITS,
  DEFAULT_STREAM_SETTINGS,
  type HealthCheck,
  type StreamSettings,
} from './api-context.ts'
import { ApiError } from './api-error.ts'
import { createAuthCheck } from './auth.ts'
import { registerExpectContinue } from './body-limit.ts'
import { handleError } from './error-handler.ts'
import { registerHttpMetrics } from './http-metrics.ts'
import { registerOpenApi } from './openapi.ts'
import { registerAnomalyRoutes } from './routes/anomaly-routes.ts'
import { registerEventRoutes } from './routes/event-routes.ts'
import { registerHealthRoutes } from './routes/health-routes.ts'
import { registerIngestRoutes } from './routes/ingest-routes.ts'
import { registerRuleRoutes } from './routes/rule-routes.ts'
import { registerSilenceRoutes } from './routes/silence-routes.ts'
import { registerStatsRoutes } from './routes/stats-routes.ts'
import { registerStreamRoutes } from './routes/stream-routes.ts'
import { createAnomalyFeed } from './stream/anomaly-feed.ts'
import { createCountersFeed } from './stream/counters-feed.ts'
import { createSerializerCompiler, validatorCompiler } from './validation.ts'
import { createNotFoundHandler, registerWebFiles } from './web-files.ts'

export interface BuildAppOptions {
  db: Database
  logger?: Logger
  /** the rules the etl runs (default: the built-in ones): /api/rules, anomaly details, silences */
  rules?: readonly Rule[]
  /** ingest publishes through a producer of this bus; absent: ingest answers 503 */
  bus?: Bus
  /** TOPIC_PREFIX applied (default: no prefix) */
  topicNames?: TopicNames
  /** the etl's cleaning limits, applied to ingested events (default: the defaults) */
  cleanPolicy?: CleanPolicy
  /** the process's registry, served at /metrics (default: a new one) */
  metrics?: Metrics
  /** readiness checks besides PostgreSQL's own, by name: the bus, the lake store, Slack delivery */
  checks?: Record<string, HealthCheck>
  /** records behind per consumer group and partition, for /api/stats; absent: lag_records is null */
  consumerLag?: () => Promise<ConsumerLagSample[]>
  /** API_TOKEN: required as a bearer token on /api/*, /metrics and /readyz; absent: no auth */
  token?: string
  /** origins allowed to call from a browser; absent or empty: no CORS headers at all */
  corsOrigins?: readonly string[]
  /** requests per minute per client address; 0: no limit (default 1200) */
  rateLimitPerMinute?: number
  limits?: Partial<ApiLimits>
  stream?: Partial<StreamSettings>
  /** the dashboard's built files (web/dist), served at / when the folder has an index.html */
  webRoot?: string
  /** PUBLIC_URL, for the OpenAPI document's server */
  publicUrl?: string
  now?: () => number
  /** check every response against its schema (tests); off, responses are serialised as they are */
  validateResponses?: boolean
}

const VERSION = readVersion()

export async function buildApp(options: BuildAppOptions): Promise<ApiInstance> {
  const logger = options.logger ?? silentLogger
  const app = Fastify({
    loggerInstance: logger.child({ stage: 'api' }) as FastifyBaseLogger,
    // requests are counted in /metrics; the default per-request log lines would also carry
    // ?access_token= of the stream
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(createSerializerCompiler(options.validateResponses ?? false))
  app.setErrorHandler(handleError)

  const corsOrigins = options.corsOrigins ?? []
  if (corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'content-encoding', 'last-event-id'],
      maxAge: 600,
    })
  }
  const rateLimitPerMinute = options.rateLimitPerMinute ?? 1_200
  if (rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          'rate_limited',
          `more than ${context.max} requests a minute; retry in ${context.after}`,
        ),
    })
  }
  if (options.token) {
    const checkAuth = createAuthCheck(options.token)
    // preParsing: after the rate limit (a route-level onRequest hook), before the body is read
    app.addHook('preParsing', async (request, _reply, payload) => {
      checkAuth(request)
      return payload
    })
  }
  // after auth: a 100 Continue only to requests the API will read
  registerExpectContinue(app)
  await registerOpenApi(app, { publicUrl: options.publicUrl, version: VERSION })

  const metrics = options.metrics ?? createMetrics()
  const now = options.now ?? Date.now
  const stream = { ...DEFAULT_STREAM_SETTINGS, ...options.stream }
  const names = options.topicNames ?? createTopicNames('')
  const producer = options.bus?.createProducer()
  const ctx: ApiContext = {
    db: options.db,
    logger,
    rules: options.rules ?? DEFAULT_RULES,
    names,
    metrics,
    httpMetrics: registerHttpMetrics(app, metrics.registry, options.db),
    now,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    stream,
    ingest: producer
      ? { producer, names, policy: options.cleanPolicy ?? DEFAULT_CLEAN_POLICY, metrics }
      : undefined,
    checks: options.checks ?? {},
    consumerLag: options.consumerLag,
    anomalyFeed: createAnomalyFeed({
      db: options.db,
      logger,
      lookbackMs: stream.lookbackMs,
      pollIntervalMs: stream.pollIntervalMs,
    }),
    countersFeed: createCountersFeed({
      db: options.db,
      logger,
      now,
      intervalMs: stream.countersIntervalMs,
      windowMs: stream.countersWindowMs,
      delayMs: stream.countersDelayMs,
    }),
  }

  registerEventRoutes(app, ctx)
  registerAnomalyRoutes(app, ctx)
  registerSilenceRoutes(app, ctx)
  registerStatsRoutes(app, ctx)
  registerRuleRoutes(app, ctx)
  registerHealthRoutes(app, ctx)
  registerIngestRoutes(app, ctx)
  const streams = registerStreamRoutes(app, ctx)
  const serveWeb = await registerWebFiles(app, options.webRoot)
  app.setNotFoundHandler(createNotFoundHandler(serveWeb))

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    )
  })
  // live streams never end on their own: end them first, or close() would wait for them forever
  app.addHook('preClose', async () => streams.closeAll())
  app.addHook('onClose', async () => {
    ctx.countersFeed.stop()
    await ctx.anomalyFeed.stop()
    await producer?.close()
  })
  return app
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}
