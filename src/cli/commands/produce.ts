// `streamwatch produce`: mock events into the bus, with injected anomalies and malformed messages
// on request, and a manifest of what a detector must find.
import { randomInt } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseDurationMs } from '../../config/durations.ts'
import { createTopicNames, EVENT_TOPICS, type EventTopic } from '../../contracts/topics.ts'
import { parseTimestampMs } from '../../core/clean/index.ts'
import { DEFAULT_EVENT_RATE_PER_SECOND, type ProduceSummary, runProduce } from '../../pipelines/produce.ts'
import { createBusFromConfig, isSharedBus } from '../build-bus.ts'
import { type Command, UsageError } from '../command.ts'
import { createProgressReporter, formatCount } from '../progress-reporter.ts'

export interface ProduceArgs {
  ratePerSecond: number
  count: number | undefined
  durationMs: number | undefined
  seed: number
  /** false when the seed was drawn at random */
  seedGiven: boolean
  startMs: number | undefined
  eventRatePerSecond: number | undefined
  anomalyRatio: number
  malformedRatio: number
  topics: EventTopic[]
  manifestPath: string | undefined
  eventIds: boolean
  batchSize: number | undefined
}

const USAGE = `streamwatch produce [options]

  Publishes mock logs, metrics and transactions to the bus (Kafka when KAFKA_BROKERS is set), with
  anomalies injected and malformed messages mixed in on request. Runs until --count or --duration,
  or Ctrl-C. Writes a manifest of the injected anomalies (what the detector must find).

  --rate <n>            events per second; 0: as fast as possible (default 100)
  --count <n>           stop after n events
  --duration <d>        stop after this long, e.g. 30s, 5m
  --seed <n>            0..4294967295; the same seed and start give the same events (default: random)
  --start <time>        event time of the first event, ISO 8601 (default: now; with --rate 0 and
                        --count, early enough that the last event is about now)
  --event-rate <n>      with --rate 0: events per second of event time (default ${DEFAULT_EVENT_RATE_PER_SECOND})
  --anomalies <ratio>   chance per event that an anomaly injection starts (default 0.001)
  --malformed <ratio>   share of events replaced by malformed messages (default 0)
  --topics <list>       a subset of logs,metrics,transactions (default all)
  --manifest <path>     where to write the manifest (default DATA_DIR/manifests/produce-<seed>-<start>.json)
  --event-ids           give every event an event_id (default: identity from topic/partition/offset)
  --batch-size <n>      most events per publish (default 5000)

Examples:
  streamwatch produce --rate 200 --anomalies 0.01
  KAFKA_BROKERS=127.0.0.1:9092 streamwatch produce --count 100000 --seed 42 --rate 0`

export const produceCommand: Command = {
  name: 'produce',
  summary: 'publish mock events (with injected anomalies) to the bus',
  usage: USAGE,
  async run(argv, { config, logger, signal, out }) {
    const args = parseProduceArgs(argv)
    if (!args.seedGiven) logger.info({ seed: args.seed }, 'random seed (pass --seed to repeat this run)')
    if (!isSharedBus(config)) {
      logger.warn('KAFKA_BROKERS is unset: publishing to the in-memory bus of this process only')
    }
    const topicNames = createTopicNames(config.TOPIC_PREFIX)
    const bus = createBusFromConfig(config, logger)
    const progress = createProgressReporter({
      write: (text) => process.stderr.write(text),
      isTTY: Boolean(process.stderr.isTTY),
      unit: 'events',
    })
    let summary: ProduceSummary
    try {
      await bus.ensureTopics(
        args.topics.map((t) => topicNames.full(t)),
        config.KAFKA_PARTITIONS,
      )
      summary = await runProduce(
        {
          bus,
          topicNames,
          stream: {
            seed: args.seed,
            startMs: args.startMs,
            eventRatePerSecond: args.eventRatePerSecond,
            topics: args.topics,
            anomalyRatio: args.anomalyRatio,
            malformedRatio: args.malformedRatio,
            eventIds: args.eventIds,
          },
          ratePerSecond: args.ratePerSecond,
          count: args.count,
          durationMs: args.durationMs,
          batchSize: args.batchSize,
          logger,
        },
        signal,
        (p) =>
          progress.update({
            done: p.sent,
            total: p.count,
            elapsedMs: p.elapsedMs,
            ratePerSecond: p.ratePerSecond,
          }),
      )
    } finally {
      progress.finish()
      await bus.close()
    }
    const manifestPath =
      args.manifestPath ??
      join(config.DATA_DIR, 'manifests', `produce-${args.seed}-${fileTime(summary.startMs)}.json`)
    await writeManifest(manifestPath, summary, topicNames.prefix)
    out.write(formatSummary(summary, args.seed, manifestPath))
    return 0
  },
}

export function parseProduceArgs(argv: string[]): ProduceArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rate: { type: 'string' },
        count: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        start: { type: 'string' },
        'event-rate': { type: 'string' },
        anomalies: { type: 'string' },
        malformed: { type: 'string' },
        topics: { type: 'string' },
        manifest: { type: 'string' },
        'event-ids': { type: 'boolean' },
        'batch-size': { type: 'string' },
      },
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const text = (name: string) => values[name] as string | undefined
  const ratePerSecond = number('--rate', text('rate'), { min: 0 }) ?? 100
  const eventRatePerSecond = number('--event-rate', text('event-rate'), { min: 0, exclusiveMin: true })
  if (eventRatePerSecond !== undefined && ratePerSecond > 0) {
    throw new UsageError('--event-rate applies with --rate 0 only (a paced run follows the wall clock)')
  }
  const duration = text('duration')
  const durationMs = duration === undefined ? undefined : parseDurationMs(duration)
  if (duration !== undefined && !(durationMs !== undefined && durationMs > 0)) {
    throw new UsageError(`--duration: expected a duration such as 30s or 5m, got "${duration}"`)
  }
  const start = text('start')
  const startMs = start === undefined ? undefined : parseTimestampMs(start)
  if (startMs !== undefined && Number.isNaN(startMs)) {
    throw new UsageError(`--start: expected an ISO 8601 time such as 2025-01-01T10:00:00Z, got "${start}"`)
  }
  const seed = number('--seed', text('seed'), { min: 0, max: 0xffff_ffff, integer: true })
  return {
    ratePerSecond,
    count: number('--count', text('count'), { min: 1, integer: true }),
    durationMs,
    seed: seed ?? randomInt(0, 0xffff_ffff),
    seedGiven: seed !== undefined,
    startMs,
    eventRatePerSecond,
    anomalyRatio: number('--anomalies', text('anomalies'), { min: 0, max: 1 }) ?? 0.001,
    malformedRatio: number('--malformed', text('malformed'), { min: 0, max: 1 }) ?? 0,
    topics: parseTopics(text('topics')),
    manifestPath: text('manifest'),
    eventIds: values['event-ids'] === true,
    batchSize: number('--batch-size', text('batch-size'), { min: 1, max: 100_000, integer: true }),
  }
}

function number(
  option: string,
  value: string | undefined,
  limits: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): number | undefined {
  if (value === undefined) return undefined
  const n = /^\s*[0-9.eE+-]+\s*$/.test(value) ? Number(value) : Number.NaN
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false, exclusiveMin = false } = limits
  const ok =
    Number.isFinite(n) && (exclusiveMin ? n > min : n >= min) && n <= max && (!integer || Number.isInteger(n))
  if (!ok) {
    const what = integer ? 'a whole number' : 'a number'
    const range = max === Number.MAX_SAFE_INTEGER ? `${exclusiveMin ? '>' : '>='} ${min}` : `${min}..${max}`
    throw new UsageError(`${option}: expected ${what} ${range}, got "${value}"`)
  }
  return n
}

function parseTopics(value: string | undefined): EventTopic[] {
  if (value === undefined) return [...EVENT_TOPICS]
  const names = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  const unknown = names.filter((t) => !(EVENT_TOPICS as readonly string[]).includes(t))
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`--topics: expected a list of ${EVENT_TOPICS.join(', ')}, got "${value}"`)
  }
  return EVENT_TOPICS.filter((t) => names.includes(t))
}

/** 2025-01-01T10:20:30.123Z -> 20250101T102030123Z: sortable, and legal in every file system. */
function fileTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '')
}

async function writeManifest(path: string, summary: ProduceSummary, topicPrefix: string): Promise<void> {
  const { manifest } = summary
  const iso = (ms: number) => new Date(ms).toISOString()
  const document = {
    ...manifest,
    start: iso(manifest.startMs),
    topicPrefix,
    sentByTopic: summary.sentByTopic,
    stoppedBy: summary.stoppedBy,
    anomalies: manifest.anomalies.map((a) => ({
      ...a,
      firstSeen: iso(a.firstSeenMs),
      lastSeen: iso(a.lastSeenMs),
    })),
  }
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`)
}

export function formatSummary(summary: ProduceSummary, seed: number, manifestPath: string): string {
  const lines = [
    `produced ${formatCount(summary.sent)} events in ${(summary.elapsedMs / 1000).toFixed(1)} s ` +
      `(${formatCount(Math.round(summary.ratePerSecond))} events/s), seed ${seed}, ` +
      `event time from ${new Date(summary.startMs).toISOString()}, stopped by ${summary.stoppedBy}`,
  ]
  const width = Math.max(0, ...Object.keys(summary.sentByTopic).map((t) => t.length))
  for (const [topic, n] of Object.entries(summary.sentByTopic).sort()) {
    lines.push(`  ${topic.padEnd(width)}  ${formatCount(n).padStart(12)}`)
  }
  const injected = Object.entries(summary.injected)
  const skipped = Object.entries(summary.manifest.skippedInjections).filter(([, n]) => n > 0)
  lines.push(
    `injected anomalies: ${injected.map(([rule, n]) => `${rule} ${formatCount(n)}`).join(', ')}` +
      (skipped.length > 0
        ? ` (skipped for spacing: ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')})`
        : ''),
  )
  const malformed = Object.entries(summary.malformed)
  lines.push(
    `malformed: ${malformed.length === 0 ? 'none' : malformed.map(([tag, n]) => `${tag} ${formatCount(n)}`).join(', ')}`,
  )
  lines.push(`manifest: ${manifestPath}`)
  return `${lines.join('\n')}\n`
}
