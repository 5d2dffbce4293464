// The benchmark's scenarios, each over real child processes (`node src/cli/main.ts <command>`), so
// that memory is measured per process: produce a backlog, drain it through the etl (one or two
// processes) or the lake sink, and run the etl under a fixed paced load for latency.
import { setTimeout as sleep } from 'node:timers/promises'
import { Admin } from '@platformatic/kafka'
import type { Database } from '../src/adapters/postgres/database.ts'
import { type SlackReceiver, startSlackReceiver } from '../test/support/slack-receiver.ts'
import { type LatencySummary, measureLatency, storedOffsetTotal } from './bench-database.ts'
import { type RunningChild, startNodeChild } from './child-process.ts'

const MAIN = 'src/cli/main.ts'
const POLL_MS = 500

export interface BenchEnv {
  brokers: string
  /** environment every child gets (DATA_DIR, LOG_LEVEL, S3 settings...) */
  base: Record<string, string>
  lakeUrl: string
}

/** (seconds since the start, events done) */
export type ProgressSample = [tSec: number, done: number]

export interface DrainResult {
  processes: number
  events: number
  /** from the children's start to the last event stored (connect, group join, migrations included) */
  wallSeconds: number
  /** from the first stored batch to the last */
  steadySeconds: number
  eventsPerSecond: number
  peakRssMb: number[]
  samples: ProgressSample[]
}

export interface ProduceResult {
  /** paced producer: the most a batch was sent behind its schedule */
  maxBehindMs?: number
  events: number
  seconds: number
  eventsPerSecond: number
  peakRssMb: number
}

/** `streamwatch produce`: the backlog of the throughput scenarios (--rate 0), or a paced run. */
export async function produce(
  env: BenchEnv,
  prefix: string,
  args: { count?: number; ratePerSecond: number; durationMs?: number },
): Promise<ProduceResult> {
  const argv = [MAIN, 'produce', '--seed', '42', '--rate', String(args.ratePerSecond), '--batch-size', '5000']
  if (args.count) argv.push('--count', String(args.count))
  if (args.durationMs) argv.push('--duration', `${Math.round(args.durationMs / 1000)}s`)
  if (args.ratePerSecond === 0) argv.push('--event-rate', '20000')
  argv.push('--manifest', `${env.base.DATA_DIR}/manifest-${prefix}json`)
  const child = startNodeChild({
    name: 'produce',
    args: argv,
    env: { ...env.base, KAFKA_BROKERS: env.brokers, TOPIC_PREFIX: prefix },
  })
  const code = await child.exited()
  if (code !== 0) throw new Error(`produce exited with ${code}: ${child.stderrTail()}`)
  // "produced 200,000 events in 3.1 s (64,000 events/s), ..."
  const match = /produced ([\d,]+) events in ([\d.]+) s/.exec(child.stdout())
  if (!match) throw new Error(`produce: no summary in its output: ${child.stdout()}`)
  const events = Number(match[1]!.replace(/,/g, ''))
  const seconds = Number(match[2])
  return { events, seconds, eventsPerSecond: events / seconds, peakRssMb: child.peakRssMb() }
}

/** bench/paced-producer.ts: `ratePerSecond` for `durationMs`, each event stamped with its send time. */
export async function producePaced(
  env: BenchEnv,
  prefix: string,
  ratePerSecond: number,
  durationMs: number,
): Promise<ProduceResult> {
  const child = startNodeChild({
    name: 'paced producer',
    args: ['bench/paced-producer.ts', env.brokers, prefix, String(ratePerSecond), String(durationMs)],
    env: env.base,
  })
  const code = await child.exited()
  if (code !== 0) throw new Error(`paced producer exited with ${code}: ${child.stderrTail()}`)
  const result = JSON.parse(child.stdout().trim().split('\n').at(-1)!) as Omit<ProduceResult, 'peakRssMb'>
  return { ...result, peakRssMb: child.peakRssMb() }
}

export function startEtl(env: BenchEnv, prefix: string, databaseUrl: string, index = 0): RunningChild {
  return startNodeChild({
    name: `etl ${index + 1}`,
    args: [MAIN, 'etl'],
    env: { ...env.base, KAFKA_BROKERS: env.brokers, TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl },
  })
}

/** Polls `done()` until it reaches `total`; fails after `timeoutMs` or when a child exits. */
async function follow(
  children: RunningChild[],
  total: number,
  timeoutMs: number,
  done: () => Promise<number>,
): Promise<Omit<DrainResult, 'processes' | 'peakRssMb'>> {
  const startedAt = performance.now()
  const samples: ProgressSample[] = [[0, 0]]
  let exited: RunningChild | undefined
  for (const c of children) void c.exited().then(() => (exited ??= c))
  let firstAt: number | undefined
  for (;;) {
    await sleep(POLL_MS)
    const n = await done()
    const tSec = (performance.now() - startedAt) / 1000
    samples.push([tSec, n])
    if (n > 0 && firstAt === undefined) firstAt = tSec
    if (n >= total) {
      // the first batch was stored at most one poll before it was seen
      const steadySeconds = Math.max(tSec - (firstAt ?? 0) + POLL_MS / 2000, POLL_MS / 1000)
      return { events: n, wallSeconds: tSec, steadySeconds, eventsPerSecond: n / steadySeconds, samples }
    }
    if (exited) throw new Error(`${exited.name} exited early: ${exited.stderrTail()}`)
    if (tSec * 1000 > timeoutMs) {
      throw new Error(`timed out after ${Math.round(tSec)} s at ${n} of ${total} events`)
    }
  }
}

/** Drains the backlog of `prefix` through `processes` etl processes into an empty database. */
export async function drainThroughEtl(
  env: BenchEnv,
  prefix: string,
  database: { url: string; db: Database },
  processes: number,
  total: number,
  timeoutMs: number,
): Promise<DrainResult> {
  const children = Array.from({ length: processes }, (_, i) => startEtl(env, prefix, database.url, i))
  try {
    const result = await follow(children, total, timeoutMs, () => storedOffsetTotal(database.db, prefix))
    return { ...result, processes, peakRssMb: children.map((c) => c.peakRssMb()) }
  } finally {
    await Promise.all(children.map((c) => c.stop()))
  }
}

/** Drains the backlog of `prefix` through one lake sink into `env.lakeUrl`; progress = its group's committed offsets. */
export async function drainThroughLake(
  env: BenchEnv,
  prefix: string,
  total: number,
  timeoutMs: number,
): Promise<DrainResult> {
  const child = startNodeChild({
    name: 'lake sink',
    args: [MAIN, 'lake-sink', '--flush-after', '1s'],
    env: { ...env.base, KAFKA_BROKERS: env.brokers, TOPIC_PREFIX: prefix, LAKE_URL: env.lakeUrl },
  })
  const admin = new Admin({ clientId: 'bench-lake-progress', bootstrapBrokers: env.brokers.split(',') })
  const committed = async () => {
    const groups = await admin.listConsumerGroupOffsets({ groups: [`${prefix}lake`] })
    let sum = 0
    for (const t of groups[0]?.topics ?? []) {
      for (const p of t.partitions) if (p.committedOffset > 0n) sum += Number(p.committedOffset)
    }
    return sum
  }
  try {
    const result = await follow([child], total, timeoutMs, committed)
    return { ...result, processes: 1, peakRssMb: [child.peakRssMb()] }
  } finally {
    await child.stop()
    await admin.close()
  }
}

export interface FixedLoadResult {
  ratePerSecond: number
  durationMs: number
  produced: ProduceResult
  latency: LatencySummary
  etlPeakRssMb: number
  alerts?: AlertLatency
}

/**
 * From the event that made a rule fire (the anomaly's first_seen, event time) to the webhook
 * receiver holding the Slack message that names it. Includes the alerter's grouping interval
 * (ALERT_GROUP_INTERVAL, 5 s by default) and its 1 message/s pace: that is the designed delay.
 */
export interface AlertLatency {
  anomalies: number
  notified: number
  messages: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  alerterPeakRssMb: number
}

/** The etl on an idle topic, then a paced producer for `durationMs`; latency from the stored rows. */
export async function runFixedLoad(
  env: BenchEnv,
  prefix: string,
  database: { url: string; db: Database },
  ratePerSecond: number,
  durationMs: number,
): Promise<FixedLoadResult> {
  const etl = startEtl(env, prefix, database.url)
  const receiver = await startSlackReceiver()
  const alerter = startNodeChild({
    name: 'alerter',
    args: [MAIN, 'alerter'],
    env: { ...env.base, DATABASE_URL: database.url, SLACK_WEBHOOK_URL: receiver.url },
  })
  try {
    await etl.waitForOutput('partitions assigned', 60_000)
    const produced = await producePaced(env, prefix, ratePerSecond, durationMs)
    // + the warm-up record in dead-letters, which the etl does not consume: not in its offsets
    await follow([etl], produced.events, 120_000, () => storedOffsetTotal(database.db, prefix))
    const latency = await measureLatency(database.db)
    const alerts = await measureAlertLatency(database.db, receiver, ALERT_SETTLE_MS)
    return {
      ratePerSecond,
      durationMs,
      produced,
      latency,
      etlPeakRssMb: etl.peakRssMb(),
      alerts: { ...alerts, alerterPeakRssMb: alerter.peakRssMb() },
    }
  } finally {
    await Promise.all([etl.stop(), alerter.stop()])
    await receiver.close()
  }
}

/** how long to wait for the alerter to notify what the etl stored: group interval + pacing + margin */
const ALERT_SETTLE_MS = 30_000

async function measureAlertLatency(
  db: Database,
  receiver: SlackReceiver,
  settleMs: number,
): Promise<Omit<AlertLatency, 'alerterPeakRssMb'>> {
  const deadline = performance.now() + settleMs
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM anomalies WHERE notified_at IS NULL AND silenced_by IS NULL`,
    )
    if (rows[0]!.n === 0 || performance.now() > deadline) break
    await sleep(POLL_MS)
  }
  const { rows } = await db.query<{ id: string; first_seen: Date }>('SELECT id, first_seen FROM anomalies')
  const deliveredAt = new Map<string, number>()
  const delivered = receiver.delivered()
  for (const request of delivered) {
    for (const id of request.firingIds) if (!deliveredAt.has(id)) deliveredAt.set(id, request.atMs)
  }
  const latencies = rows.flatMap((a) => {
    const at = deliveredAt.get(a.id)
    return at === undefined ? [] : [at - a.first_seen.getTime()]
  })
  latencies.sort((a, b) => a - b)
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return {
    anomalies: rows.length,
    notified: latencies.length,
    messages: delivered.length,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    maxMs: latencies.at(-1) ?? 0,
  }
}
