// `streamwatch api`: the HTTP API, live stream, ingest, /metrics, OpenAPI docs and the dashboard.
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { readStoredPositions } from '../../adapters/postgres/queries/index.ts'
import {
  type ConsumerLagSample,
  checkListenSafety,
  type HealthCheck,
  lagFromStoredPositions,
  type ServeApiOptions,
  startApi,
} from '../../api/index.ts'
import type { Config } from '../../config/load.ts'
import { ALL_TOPICS, createTopicNames } from '../../contracts/topics.ts'
import { createMetrics, type Metrics } from '../../observability/metrics.ts'
import type { Bus, ObjectStore } from '../../pipelines/ports.ts'
import { createBusFromConfig, isSharedBus } from '../build-bus.ts'
import { type Command, UsageError } from '../command.ts'
import { cleanPolicyFrom, loadRules, openDatabase, openLakeStore } from '../platform.ts'
import { DEFAULT_WEB_ROOT, prepareDashboard } from '../prepare-dashboard.ts'

const USAGE = `streamwatch api [--web-root <dir>]

  Serves the HTTP API on API_HOST:API_PORT: the stored events, anomalies, silences, statistics
  and series; a live stream (Server-Sent Events); ingest (POST /api/ingest/<topic>) when
  KAFKA_BROKERS is set; /healthz, /readyz, /metrics; OpenAPI at /openapi.json, docs at /docs;
  and the dashboard at / (built first when web/dist is older than web/'s sources). Everything but /healthz, the docs and the dashboard's
  files needs "Authorization: Bearer $API_TOKEN"; off loopback, API_TOKEN is required.
  Stops cleanly on SIGINT/SIGTERM. See docs/api.md.

  --web-root <dir>   the dashboard's built files (default web/dist)

Examples:
  API_TOKEN=secret streamwatch api
  curl -H "Authorization: Bearer secret" 'http://127.0.0.1:8080/api/anomalies?status=open'`

export const apiCommand: Command = {
  name: 'api',
  summary: 'HTTP API: queries, stats, live stream, ingest, /metrics, OpenAPI docs, dashboard',
  usage: USAGE,
  async run(argv, { config, logger, signal }) {
    const webRoot = parseApiArgs(argv)
    // before anything is opened: a refused start leaves nothing behind
    checkListenSafety(config.API_HOST, config.API_TOKEN)
    const rules = loadRules(config)
    const dashboard = await prepareDashboard(webRoot, (line) => logger.info(line))
    if (!dashboard.served) logger.warn({ webRoot }, `no dashboard at /: ${dashboard.note}`)
    else if (dashboard.note) logger.warn({ webRoot }, dashboard.note)
    const db = await openDatabase(config, logger, {
      statementTimeoutMs: config.API_STATEMENT_TIMEOUT,
      applicationName: 'streamwatch-api',
    })
    // the in-memory bus of this process reaches no consumer: ingest is off unless the bus is shared
    const bus = isSharedBus(config) ? createBusFromConfig(config, logger) : undefined
    if (!bus) logger.warn('KAFKA_BROKERS is unset: POST /api/ingest answers 503 (use `streamwatch start`)')
    const lake = openLakeStore(config)
    try {
      const names = createTopicNames(config.TOPIC_PREFIX)
      if (bus) await bus.ensureTopics(ALL_TOPICS.map(names.full), config.KAFKA_PARTITIONS)
      const metrics = createMetrics()
      const api = await startApi({
        ...apiOptionsFromConfig(config),
        db,
        bus,
        logger,
        rules,
        metrics,
        webRoot,
        // this process runs no consumer: the etl's stored positions against the log ends
        consumerLag: bus
          ? lagFromStoredPositions({ readPositions: () => readStoredPositions(db), bus })
          : undefined,
        checks: { ...(bus ? { kafka: busCheck(bus, config) } : {}), lake: lakeCheck(lake) },
      })
      logger.info(
        { url: api.url, docs: `${api.url}/docs`, dashboard: dashboard.served ? `${api.url}/` : null },
        'api listening',
      )
      if (!signal.aborted) await once(signal, 'abort')
      await api.close()
      logger.info('api stopped')
      return 0
    } finally {
      await bus?.close()
      await lake.close()
      await db.close()
    }
  },
}

/** The API's settings from the config; the caller adds the adapters (db, bus, checks). */
export function apiOptionsFromConfig(
  config: Config,
): Pick<
  ServeApiOptions,
  | 'host'
  | 'port'
  | 'token'
  | 'corsOrigins'
  | 'rateLimitPerMinute'
  | 'publicUrl'
  | 'limits'
  | 'cleanPolicy'
  | 'topicNames'
> {
  return {
    host: config.API_HOST,
    port: config.API_PORT,
    token: config.API_TOKEN,
    corsOrigins: config.API_CORS_ORIGINS,
    rateLimitPerMinute: config.API_RATE_LIMIT,
    publicUrl: config.publicUrl,
    limits: { maxIngestBytes: config.API_MAX_INGEST_BYTES },
    cleanPolicy: cleanPolicyFrom(config),
    topicNames: createTopicNames(config.TOPIC_PREFIX),
  }
}

/** Kafka answers metadata requests and the topics exist (creating a missing one is harmless). */
export function busCheck(bus: Bus, config: Config): HealthCheck {
  const names = createTopicNames(config.TOPIC_PREFIX)
  return async () => {
    await bus.ensureTopics(ALL_TOPICS.map(names.full), config.KAFKA_PARTITIONS)
    return { ok: true }
  }
}

/** The lake answers (a missing object is an answer). */
export function lakeCheck(store: ObjectStore): HealthCheck {
  return async () => {
    await store.head('.streamwatch-readyz')
    return { ok: true }
  }
}

/** Consumer lag as this process's registry holds it (set by consumers running in the process). */
export function lagFromMetrics(metrics: Metrics): () => Promise<ConsumerLagSample[]> {
  return async () => {
    const { values } = await metrics.consumerLag.get()
    return values.map((v) => ({
      group: String(v.labels['group'] ?? ''),
      topic: String(v.labels['topic'] ?? ''),
      partition: Number(v.labels['partition'] ?? 0),
      records: v.value,
    }))
  }
}

function parseApiArgs(argv: string[]): string {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { 'web-root': { type: 'string' } },
    })
    return (values['web-root'] as string | undefined) ?? DEFAULT_WEB_ROOT
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
