// What the dashboard's browser tests stand on: the built dashboard, the whole platform in one
// process (generator -> memory bus -> etl -> real PostgreSQL -> API serving web/dist), and
// Debian's chromium driven by playwright-core.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { createMemoryBus } from '../../src/adapters/memory-bus/memory-bus.ts'
import { createEtlStore } from '../../src/adapters/postgres/etl-store.ts'
import { migrate } from '../../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../../src/adapters/postgres/test-database.ts'
import { DEFAULT_WEB_ROOT, prepareDashboard } from '../../src/cli/prepare-dashboard.ts'
import { createTopicNames } from '../../src/contracts/topics.ts'
import { createCleanPolicy } from '../../src/core/clean/index.ts'
import { DEFAULT_RULES } from '../../src/core/detect/index.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { runEtl } from '../../src/pipelines/etl.ts'
import { waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { runProduce } from '../../src/pipelines/produce.ts'
import { type DashboardApi, startDashboardApi } from './start-dashboard-api.ts'

export const ROOT = join(import.meta.dirname, '..', '..')
export const WEB_DIST = DEFAULT_WEB_ROOT
export const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Builds the dashboard as `streamwatch start` does: when web/dist is missing or older than its sources. */
export async function ensureDashboardBuilt(force = false): Promise<void> {
  const { served, note } = await prepareDashboard(WEB_DIST, undefined, { force })
  if (!served) throw new Error(`the dashboard is not built: ${note}`)
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives each launch a fresh temporary profile (its own --user-data-dir)
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface Platform {
  baseUrl: string
  db: TestDatabase['db']
  /** rows stored before the browser starts */
  storedEvents: number
  /** another API on the same database and bus, e.g. one that requires a token */
  startApi(options: { apiToken?: string }): Promise<DashboardApi>
  /** stops the API only (the etl and producers go on), to show the API-down state */
  stopApi(): Promise<void>
  stop(): Promise<void>
}

export interface PlatformOptions {
  /** events of the backfill, spread over the last `backfillSpanMs` of event time */
  backfillEvents: number
  backfillSpanMs: number
  /** live events per second while the tests run (event time = now) */
  liveRatePerSecond: number
  apiToken?: string
}

/**
 * Starts the platform in this process: a fresh PostgreSQL database, the memory bus, a backfill
 * through the generator, the etl (left running, so ingested events flow on), a live producer,
 * and the API listening on a free port of 127.0.0.1 with the dashboard at `/`.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const cleanups: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
  }
  try {
    const database = await createTestDatabase('pg')
    cleanups.push(() => database.destroy())
    await migrate(database.db)
    // the whole backfill is published before the etl starts: keep all of it (the bus's default
    // retention would drop the oldest records of a large backfill, as Kafka's would)
    const bus = createMemoryBus({ defaultPartitions: 3, retentionRecords: options.backfillEvents + 100_000 })
    cleanups.push(() => bus.close())
    const names = createTopicNames('')
    await bus.ensureTopics(['logs', 'metrics', 'transactions', 'dead-letters'], 3)

    const nowMs = Date.now()
    const backfill = await runProduce(
      {
        bus,
        topicNames: names,
        stream: {
          seed: 11,
          startMs: nowMs - options.backfillSpanMs,
          eventRatePerSecond: options.backfillEvents / (options.backfillSpanMs / 1000),
          anomalyRatio: 0.01,
          malformedRatio: 0.005,
        },
        ratePerSecond: 0,
        count: options.backfillEvents,
      },
      new AbortController().signal,
    )

    const etlController = new AbortController()
    const etl = runEtl(
      {
        bus,
        store: createEtlStore(database.db, { groupId: names.group('etl') }),
        names,
        rules: DEFAULT_RULES,
        policy: createCleanPolicy(),
        logger: silentLogger,
        idleGraceMs: 500,
      },
      etlController.signal,
    )
    cleanups.push(async () => {
      etlController.abort()
      await etl
    })
    await waitFor(
      async () => {
        const { rows } = await database.db.query<{ n: string }>(
          `SELECT ((SELECT count(*) FROM logs) + (SELECT count(*) FROM metrics) + (SELECT count(*) FROM transactions)
            + (SELECT count(*) FROM dead_letters))::text AS n`,
        )
        return Number(rows[0]!.n) >= backfill.manifest.events
      },
      // about 2,000 rows a second on a busy 2-core machine, at least two minutes
      Math.max(120_000, options.backfillEvents / 2),
      'the backfill to be stored',
    )

    const liveController = new AbortController()
    const live = runProduce(
      {
        bus,
        topicNames: names,
        stream: {
          seed: 12,
          startMs: Date.now(),
          eventRatePerSecond: options.liveRatePerSecond,
          anomalyRatio: 0,
        },
        ratePerSecond: options.liveRatePerSecond,
        durationMs: 3_600_000,
      },
      liveController.signal,
    ).catch(() => {})
    cleanups.push(async () => {
      liveController.abort()
      await live
    })

    const startApi = async (apiOptions: { apiToken?: string }) => {
      const started = await startDashboardApi({
        db: database.db,
        bus,
        names,
        webRoot: WEB_DIST,
        ...apiOptions,
      })
      cleanups.push(() => started.close())
      return started
    }
    const api = await startApi(options.apiToken ? { apiToken: options.apiToken } : {})
    return {
      startApi,
      baseUrl: api.baseUrl,
      db: database.db,
      storedEvents: backfill.manifest.events,
      stopApi: () => api.close(),
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: false })
  return path
}
