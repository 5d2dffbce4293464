// Builders shared by the commands: each turns the validated config into one adapter or setting.
// The commands start parts in order and stop them in reverse.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createFileObjectStore } from '../adapters/files/file-object-store.ts'
import { createDatabase, type Database } from '../adapters/postgres/database.ts'
import { createEtlStore } from '../adapters/postgres/etl-store.ts'
import { migrate } from '../adapters/postgres/migrate.ts'
import { createS3ObjectStore } from '../adapters/s3/s3-object-store.ts'
import type { Config } from '../config/load.ts'
import { createTopicNames } from '../contracts/topics.ts'
import { type CleanPolicy, createCleanPolicy } from '../core/clean/index.ts'
import { DEFAULT_RULES, parseRules, type Rule } from '../core/detect/index.ts'
import { StreamwatchError } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { startMetricsServer } from '../observability/metrics-server.ts'
import type { EtlDeps } from '../pipelines/etl.ts'
import type { Bus, ObjectStore } from '../pipelines/ports.ts'

/** Opens PostgreSQL (DATABASE_URL) or embedded PGlite (DATA_DIR) and applies pending migrations. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { statementTimeoutMs?: number; applicationName?: string; migrate?: boolean } = {},
): Promise<Database> {
  const db = await createDatabase({
    url: config.DATABASE_URL,
    dataDir: resolve(config.DATA_DIR),
    logger,
    statementTimeoutMs: options.statementTimeoutMs,
    applicationName: options.applicationName ?? 'streamwatch',
  })
  if (options.migrate ?? true) {
    try {
      await migrate(db, { logger })
    } catch (error) {
      await db.close()
      throw error
    }
  }
  return db
}

/** The rules of RULES_FILE (YAML or JSON), or the built-in defaults (the seed's rules). */
export function loadRules(config: Config): readonly Rule[] {
  const path = config.RULES_FILE
  if (!path) return DEFAULT_RULES
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new StreamwatchError(
      'config_invalid',
      `config: RULES_FILE=${JSON.stringify(path)}: ${(error as Error).message}`,
    )
  }
  const parsed = parseRules(text, path.endsWith('.json') ? 'json' : 'yaml')
  if ('errors' in parsed) {
    throw new StreamwatchError(
      'config_invalid',
      parsed.errors.map((line) => `config: RULES_FILE=${JSON.stringify(path)}: ${line}`).join('\n'),
    )
  }
  return parsed.rules
}

export function cleanPolicyFrom(config: Config): CleanPolicy {
  return createCleanPolicy({
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    maxFutureSkewMs: config.MAX_FUTURE_SKEW,
    maxEventAgeMs: config.MAX_EVENT_AGE,
  })
}

/** The lake store of LAKE_URL (or `url`): S3 with the S3_* / AWS_* settings, or a directory. */
export function openLakeStore(config: Config, url = config.lakeUrl): ObjectStore {
  // file:///abs/path, or file://relative/path (relative to the working directory, as DATA_DIR is)
  if (url.startsWith('file://')) return createFileObjectStore({ rootDir: decodeURIComponent(url.slice(7)) })
  if (url.startsWith('s3://')) {
    return createS3ObjectStore({
      url,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      region: config.AWS_REGION,
      accessKeyId: config.AWS_ACCESS_KEY_ID,
      secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    })
  }
  throw new StreamwatchError(
    'config_invalid',
    `lake: ${JSON.stringify(url)} is not s3://bucket/prefix or file://path`,
  )
}

/** What the etl needs, from the settings: `streamwatch etl` and `streamwatch start` run the same etl. */
export function etlDepsFrom(
  config: Config,
  parts: { bus: Bus; db: Database; logger: Logger; metrics: Metrics; rules: readonly Rule[] },
): EtlDeps {
  const names = createTopicNames(config.TOPIC_PREFIX)
  return {
    bus: parts.bus,
    store: createEtlStore(parts.db, { groupId: names.group('etl') }),
    names,
    rules: parts.rules,
    policy: cleanPolicyFrom(config),
    logger: parts.logger,
    metrics: parts.metrics,
    allowedLatenessMs: config.ALLOWED_LATENESS,
  }
}

/**
 * Runs `part` with /metrics and /healthz served on METRICS_PORT (when it is set), for a part that
 * serves no API; the server closes when `part` ends, however it ends.
 */
export async function withMetricsServed<T>(
  config: Config,
  served: { metrics: Metrics; logger: Logger; part: string },
  part: () => Promise<T>,
): Promise<T> {
  const server =
    config.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer({ host: config.METRICS_HOST, port: config.METRICS_PORT, ...served })
  try {
    return await part()
  } finally {
    await server?.close()
  }
}
