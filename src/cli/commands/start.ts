// `streamwatch start` (`npm start`): the whole platform in one process. On embedded defaults
// (no settings) that is the in-memory bus, PGlite and the lake in DATA_DIR; with KAFKA_BROKERS,
// DATABASE_URL and LAKE_URL the same parts run on the real services.
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startApi } from '../../api/index.ts'
import { ALL_TOPICS, createTopicNames } from '../../contracts/topics.ts'
import { createMetrics } from '../../observability/metrics.ts'
import { type EtlSummary, runEtl } from '../../pipelines/etl.ts'
import { createLakeSink, LAKE_SINK_DEFAULTS } from '../../pipelines/lake.ts'
import { runProduce } from '../../pipelines/produce.ts'
import { createBusFromConfig } from '../build-bus.ts'
import { type Command, UsageError } from '../command.ts'
import { etlDepsFrom, loadRules, openDatabase, openLakeStore } from '../platform.ts'
import { type DashboardState, DEFAULT_WEB_ROOT, prepareDashboard } from '../prepare-dashboard.ts'
import { type Part, runParts } from '../run-parts.ts'
import { createAlerterFromConfig } from './alerter.ts'
import { apiOptionsFromConfig, busCheck, lagFromMetrics, lakeCheck } from './api.ts'

const USAGE = `streamwatch start [--no-produce] [--rate <events/s>] [--anomalies <ratio>] [--malformed <ratio>]

  Runs the whole platform in one process: mock producers (unless --no-produce), the lake sink,
  the etl with anomaly detection, the alerter, and the API with the dashboard (built first in a
  checkout when web/dist is missing or older than its sources). With no settings it needs nothing
  installed: the in-memory bus, PGlite and the lake in DATA_DIR (default ./data), kept across
  restarts. Ctrl-C stops it cleanly.

  --no-produce         no mock data: events come in through the ingest API (or your producers)
  --rate <n>           mock events per second (default 50)
  --anomalies <ratio>  share of mock events that start an injected anomaly (default 0.01)
  --malformed <ratio>  share of mock events replaced by malformed messages, which the etl
                       dead-letters (default 0.01; 0: none)`

export const startCommand: Command = {
  name: 'start',
  summary: 'the whole platform in one process (npm start)',
  usage: USAGE,
  async run(argv, { config, logger, signal, out }) {
    const options = parseStartArgs(argv)
    const dashboard = await prepareDashboard(DEFAULT_WEB_ROOT, (line) => out.write(`${line}\n`))
    if (dashboard.buildMs !== undefined)
      out.write(`dashboard built in ${(dashboard.buildMs / 1000).toFixed(1)} s\n`)
    mkdirSync(config.DATA_DIR, { recursive: true })
    const rules = loadRules(config)
    const names = createTopicNames(config.TOPIC_PREFIX)
    const metrics = createMetrics()
    const db = await openDatabase(config, logger, { applicationName: 'streamwatch' })
    const bus = createBusFromConfig(config, logger)
    const lakeStore = openLakeStore(config)
    try {
      await bus.ensureTopics(ALL_TOPICS.map(names.full), config.KAFKA_PARTITIONS)
      const lake = createLakeSink(
        { bus, store: lakeStore, logger, metrics },
        {
          ...LAKE_SINK_DEFAULTS,
          // one process holds everything: keep the lake's buffers small
          maxBufferedBytes: 32 * 1024 * 1024,
          topics: ALL_TOPICS.map(names.full),
          groupId: names.group('lake'),
        },
      )
      let etlTotals: Readonly<EtlSummary> | undefined
      let produced = 0
      const parts: Part[] = [
        { name: 'lake-sink', run: (s) => lake.run(s) },
        {
          name: 'etl',
          run: (s) =>
            runEtl(
              {
                ...etlDepsFrom(config, { bus, db, logger: logger.child({ part: 'etl' }), metrics, rules }),
                onCommit: (totals) => {
                  etlTotals = totals
                },
              },
              s,
            ),
        },
      ]
      const alerter = createAlerterFromConfig(config, db, logger.child({ part: 'alerter' }), metrics)
      parts.push({ name: 'alerter', run: (s) => alerter.run(s) })
      parts.push({
        name: 'api',
        async run(s) {
          const api = await startApi({
            ...apiOptionsFromConfig(config),
            db,
            bus,
            logger: logger.child({ part: 'api' }),
            rules,
            metrics,
            webRoot: DEFAULT_WEB_ROOT,
            consumerLag: lagFromMetrics(metrics),
            checks: {
              bus: busCheck(bus, config),
              lake: lakeCheck(lakeStore),
              slack: async () => {
                const health = alerter.health()
                return health.status === 'failing'
                  ? { ok: false, reason: health.lastFailure?.reason ?? 'Slack refuses our messages' }
                  : { ok: true }
              },
            },
          })
          out.write(apiBanner(api.url, dashboard))
          if (!s.aborted) await once(s, 'abort')
          await api.close()
        },
      })
      if (options.produce) {
        parts.push({
          name: 'produce',
          run: (s) =>
            runProduce(
              {
                bus,
                topicNames: names,
                stream: {
                  seed: (Date.now() >>> 0) % 0xffff_ffff,
                  anomalyRatio: options.anomalies,
                  malformedRatio: options.malformed,
                },
                ratePerSecond: options.rate,
                logger,
              },
              s,
              (progress) => {
                produced = progress.sent
              },
            ),
        })
      }
      out.write(
        `streamwatch is running: bus ${config.KAFKA_BROKERS ? config.KAFKA_BROKERS.join(',') : 'in-memory'}, ` +
          `database ${db.kind === 'pglite' ? `PGlite in ${config.DATA_DIR}` : 'PostgreSQL'}, lake ${lakeStore.url}\n` +
          `Ctrl-C to stop.\n`,
      )
      const status = setInterval(async () => {
        const open = await db
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM anomalies WHERE status = 'open'`)
          .then((r) => r.rows[0]?.n ?? 0)
          .catch(() => '?')
        const lakeStats = lake.stats()
        out.write(
          `${new Date().toISOString().slice(11, 19)}  produced ${produced}  stored ${etlTotals?.events ?? 0} events, ` +
            `${etlTotals?.rejections ?? 0} rejected  anomalies open ${open}  lake ${lakeStats.recordsArchived} records\n`,
        )
      }, 5_000)
      status.unref()
      try {
        await runParts(parts, signal, logger)
      } finally {
        clearInterval(status)
      }
      out.write('streamwatch stopped\n')
      return 0
    } finally {
      await bus.close()
      await lakeStore.close()
      await db.close()
    }
  },
}

/** Where the dashboard and the API are, or why there is no dashboard: what the user opens first. */
export function apiBanner(url: string, dashboard: DashboardState): string {
  const note = dashboard.note ? `\n  (${dashboard.note})` : ''
  return dashboard.served
    ? `dashboard and API: ${url}  (API docs: ${url}/docs)${note}\n`
    : `API: ${url}  (API docs: ${url}/docs); no dashboard at /${note}\n`
}

interface StartOptions {
  produce: boolean
  rate: number
  anomalies: number
  malformed: number
}

export function parseStartArgs(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'no-produce': { type: 'boolean', default: false },
      rate: { type: 'string', default: '50' },
      anomalies: { type: 'string', default: '0.01' },
      malformed: { type: 'string', default: '0.01' },
    },
    strict: true,
  })
  const rate = Number(values.rate)
  if (!Number.isFinite(rate) || rate <= 0)
    throw new UsageError(`--rate: expected events per second > 0, got ${values.rate}`)
  const anomalies = Number(values.anomalies)
  if (!(anomalies >= 0 && anomalies <= 1))
    throw new UsageError(`--anomalies: expected a ratio 0..1, got ${values.anomalies}`)
  const malformed = Number(values.malformed)
  if (!(malformed >= 0 && malformed <= 1))
    throw new UsageError(`--malformed: expected a ratio 0..1, got ${values.malformed}`)
  return { produce: !values['no-produce'], rate, anomalies, malformed }
}
