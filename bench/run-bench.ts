// `streamwatch bench`: every scenario and baseline in one run, against the local broker,
// PostgreSQL and S3 server; writes bench/results/<runId>.{json,md,svg} and latest.* copies.
//
// Order: produce one backlog (fresh topics under a unique prefix) -> Kafka's consumer on it ->
// etl ×1 into a fresh database -> raw COPY of the rows it stored -> etl ×2 into another fresh
// database -> the lake sink -> the naive consumer on a sample -> each fixed load on its own
// topics and database. Scenarios run one after another, never together, so they do not share
// the two cores. A failing scenario is recorded and the run goes on.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { measureKafkaConsumer, measureNaiveConsumer, measureRawCopy } from './baselines.ts'
import { createBenchDatabases } from './bench-database.ts'
import {
  type BenchResults,
  formatMarkdown,
  formatTable,
  headlineRows,
  type MachineFacts,
} from './bench-results.ts'
import { deleteLakePrefix, deleteTopicsWithPrefix } from './run-cleanup.ts'
import { type BenchEnv, drainThroughEtl, drainThroughLake, produce, runFixedLoad } from './scenarios.ts'
import { type ChartPanel, ratesOf, renderChart } from './svg-chart.ts'

export interface BenchOptions {
  quick: boolean
  /** events of the throughput backlog */
  events: number
  /** paced rates of the latency scenario, events/s */
  ratesPerSecond: number[]
  fixedLoadMs: number
  /** events the naive consumer inserts */
  naiveEvents: number
  /** etl process counts of the throughput scenario */
  etlProcesses: number[]
  brokers: string
  adminDatabaseUrl: string
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string }
  resultsDir: string
  log: (line: string) => void
}

export function defaultBenchOptions(quick: boolean): Omit<BenchOptions, 'log'> {
  return {
    quick,
    events: quick ? 200_000 : 2_000_000,
    ratesPerSecond: quick ? [5_000] : [5_000, 20_000],
    fixedLoadMs: quick ? 20_000 : 60_000,
    naiveEvents: quick ? 5_000 : 20_000,
    etlProcesses: [1, 2],
    brokers: '127.0.0.1:9092',
    adminDatabaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    s3: {
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'streamwatch',
      accessKeyId: 'streamwatch',
      secretAccessKey: 'streamwatch-secret',
    },
    resultsDir: 'bench/results',
  }
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { log } = options
  const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase()
  const prefix = `bench.${runId}.`
  const scratch = await mkdtemp(join(os.tmpdir(), 'streamwatch-bench-'))
  const lakePrefix = `bench/${runId}`
  const env: BenchEnv = {
    brokers: options.brokers,
    base: {
      DATA_DIR: scratch,
      LOG_LEVEL: 'info',
      S3_ENDPOINT: options.s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: options.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.s3.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    lakeUrl: `s3://${options.s3.bucket}/${lakePrefix}`,
  }
  const databases = createBenchDatabases(options.adminDatabaseUrl, runId)
  const results: BenchResults = {
    runId,
    startedAt: new Date().toISOString(),
    quick: options.quick,
    events: options.events,
    machine: await machineFacts(() => databases.serverVersion()),
    produce: { events: 0, seconds: 0, eventsPerSecond: 0, peakRssMb: 0 },
    baselines: {},
    etl: [],
    fixedLoad: [],
    skipped: [],
    errors: [],
  }
  const step = async (name: string, fn: () => Promise<void>) => {
    const startedAt = performance.now()
    log(`bench: ${name}...`)
    try {
      await fn()
      log(`bench: ${name} done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`)
    } catch (error) {
      const message = `${name}: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`
      results.errors.push(message)
      log(`bench: FAILED ${message}`)
    }
  }
  // generous: the slowest etl seen here drains ~5,000 ev/s
  const drainTimeoutMs = 60_000 + (options.events / 2_000) * 1000
  const tp = `${prefix}tp.`
  try {
    await step(`produce ${options.events} events`, async () => {
      results.produce = await produce(env, tp, { count: options.events, ratePerSecond: 0 })
    })
    const total = results.produce.events
    await step('baseline: Kafka consumer perf test', async () => {
      results.baselines.kafkaConsumer = await measureKafkaConsumer(options.brokers, tp, total)
    })
    for (const processes of options.etlProcesses) {
      await step(`etl ×${processes}`, async () => {
        const database = await databases.create(`etl${processes}`)
        results.etl.push(await drainThroughEtl(env, tp, database, processes, total, drainTimeoutMs))
        if (processes === options.etlProcesses[0]) {
          await step('baseline: raw COPY of the same rows', async () => {
            results.baselines.rawCopy = await measureRawCopy(database.db, database.url, scratch)
          })
        }
      })
    }
    await step('lake sink', async () => {
      results.lake = await drainThroughLake(env, tp, total, drainTimeoutMs)
    })
    await step(`baseline: naive consumer (${options.naiveEvents} events)`, async () => {
      const database = await databases.create('naive')
      results.baselines.naiveConsumer = await measureNaiveConsumer(
        options.brokers,
        tp,
        database.url,
        Math.min(options.naiveEvents, total),
      )
    })
    for (const rate of options.ratesPerSecond) {
      await step(`fixed load ${rate} ev/s for ${options.fixedLoadMs / 1000} s`, async () => {
        const database = await databases.create(`load${rate}`)
        results.fixedLoad.push(
          await runFixedLoad(env, `${prefix}r${rate}.`, database, rate, options.fixedLoadMs),
        )
      })
    }
  } finally {
    await databases.dropAll().catch((e: Error) => log(`bench: dropping databases failed: ${e.message}`))
    await deleteLakePrefix(options.s3, lakePrefix).catch((e: Error) =>
      log(`bench: deleting the lake objects failed: ${e.message}`),
    )
    await deleteTopicsWithPrefix(options.brokers, prefix).catch((e: Error) =>
      log(`bench: deleting the topics failed: ${e.message}`),
    )
    await rm(scratch, { recursive: true, force: true })
  }
  await writeResults(options.resultsDir, results)
  return results
}

export async function writeResults(dir: string, results: BenchResults): Promise<void> {
  await mkdir(dir, { recursive: true })
  const kind = results.quick ? 'quick' : 'full'
  const chart = renderChart(chartPanels(results))
  const base = `${kind}-latest`
  await writeFile(join(dir, `${base}.json`), `${JSON.stringify(results, null, 1)}\n`)
  await writeFile(join(dir, `${base}.svg`), chart)
  await writeFile(join(dir, `${base}.md`), formatMarkdown(results, `${base}.svg`))
}

function chartPanels(r: BenchResults): ChartPanel[] {
  const drains = [
    ...r.etl.map((e) => ({ label: `etl ×${e.processes}`, d: e })),
    ...(r.lake ? [{ label: 'lake sink', d: r.lake }] : []),
  ]
  const panels: ChartPanel[] = [
    {
      title: `Throughput while draining ${r.events.toLocaleString('en-US')} events`,
      xLabel: 'seconds since the processes started',
      yLabel: 'events/s',
      series: drains.map(({ label, d }) => ({ label, points: ratesOf(d.samples) })),
    },
  ]
  if (r.fixedLoad.length > 0) {
    panels.push({
      title: 'Event-to-row latency under fixed load (per second of event time)',
      xLabel: 'seconds of the run',
      yLabel: 'ms',
      series: r.fixedLoad.flatMap((f) => [
        {
          label: `p50 @ ${f.ratePerSecond}/s`,
          points: f.latency.perSecond.map((s) => [s.tSec, s.p50Ms] as [number, number]),
        },
        {
          label: `p99 @ ${f.ratePerSecond}/s`,
          points: f.latency.perSecond.map((s) => [s.tSec, s.p99Ms] as [number, number]),
        },
      ]),
    })
  }
  return panels
}

async function machineFacts(postgres: () => Promise<string>): Promise<MachineFacts> {
  const kafka = await promisify(execFile)('bash', ['scripts/kafka.sh', 'status'])
    .then(({ stdout }) => /version:\s*(\S+)/.exec(stdout)?.[1] ?? 'unknown')
    .catch(() => 'unknown')
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg(),
    node: process.versions.node,
    kafka,
    postgres: await postgres().catch(() => 'unknown'),
    os: `${os.type()} ${os.release()}`,
  }
}

export { formatTable, headlineRows }
