// `streamwatch replay`: publish archived records again, as they were received.
import { parseArgs } from 'node:util'
import { ALL_TOPICS, createTopicNames, type Topic, type TopicNames } from '../../contracts/topics.ts'
import { parseTimestampMs } from '../../core/clean/index.ts'
import { type ReplayOptions, replayLake } from '../../pipelines/replay.ts'
import { createBusFromConfig, isSharedBus } from '../build-bus.ts'
import { type Command, UsageError } from '../command.ts'
import { openLakeStore } from '../platform.ts'
import { createProgressReporter } from '../progress-reporter.ts'

const USAGE = `streamwatch replay [--from <lake url>] [options]

  Publishes the records archived in a lake again, with their original keys, values (byte for
  byte), headers and timestamps, in offset order per source partition, to their own topics or to
  --to-topic. Prints progress on stderr and a summary at the end. Running it twice publishes twice.

  --from <url>          the lake: s3://bucket/prefix or file://path (default LAKE_URL)
  --topic <t>           a topic to replay, repeatable or comma-separated (default: every topic)
  --since <time>        records timestamped at or after this ISO 8601 time
  --until <time>        records timestamped before this ISO 8601 time
  --to-topic <t>        publish everything to this topic (created when missing)

  Topic names: logs, metrics, transactions and dead-letters get TOPIC_PREFIX; any other name is
  taken as the full name on the broker.

Examples:
  streamwatch replay --topic transactions --since 2025-01-31T10:00:00Z --until 2025-01-31T11:00:00Z
  streamwatch replay --from s3://streamwatch/lake --topic logs --to-topic logs-replayed`

export interface ReplayArgs {
  from: string | undefined
  topics: string[] | undefined
  sinceMs: number | undefined
  untilMs: number | undefined
  toTopic: string | undefined
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-publish archived raw events from the lake to the bus',
  usage: USAGE,
  async run(argv, { config, logger, signal, out }) {
    const names = createTopicNames(config.TOPIC_PREFIX)
    const args = parseReplayArgs(argv, names)
    if (!isSharedBus(config)) {
      logger.warn('KAFKA_BROKERS is unset: replaying into the in-memory bus of this process only')
    }
    const store = openLakeStore(config, args.from ?? config.lakeUrl)
    const bus = createBusFromConfig(config, logger)
    const progress = createProgressReporter({
      write: (text) => process.stderr.write(text),
      isTTY: Boolean(process.stderr.isTTY),
      unit: 'records',
    })
    const startedMs = performance.now()
    try {
      if (args.toTopic) await bus.ensureTopics([args.toTopic], config.KAFKA_PARTITIONS)
      const producer = bus.createProducer()
      const options: ReplayOptions = {
        ...(args.topics ? { topics: args.topics } : {}),
        ...(args.sinceMs === undefined ? {} : { sinceMs: args.sinceMs }),
        ...(args.untilMs === undefined ? {} : { untilMs: args.untilMs }),
        ...(args.toTopic ? { toTopic: args.toTopic } : {}),
      }
      try {
        const summary = await replayLake(
          {
            store,
            producer,
            logger,
            onProgress: (p) => {
              const elapsedMs = performance.now() - startedMs
              progress.update({
                done: p.recordsPublished,
                total: undefined,
                elapsedMs,
                ratePerSecond: (p.recordsPublished * 1000) / Math.max(1, elapsedMs),
                note: `object ${p.objectsRead}/${p.objectsTotal}`,
              })
            },
          },
          options,
          signal,
        )
        progress.finish()
        out.write(
          `replay: ${summary.recordsPublished} records published from ${summary.objectsRead} objects ` +
            `(${summary.partitions} partitions) of ${store.url} in ${(summary.elapsedMs / 1000).toFixed(1)}s` +
            (args.toTopic ? ` to ${args.toTopic}` : '') +
            `; outside the window ${summary.recordsOutsideWindow}, duplicates skipped ${summary.duplicatesSkipped}, ` +
            `gaps ${summary.gaps}, bad lines ${summary.badLines}, null values ${summary.nullValues}, ` +
            `headers not exact ${summary.headersNotExact}${signal.aborted ? ' (stopped early)' : ''}\n`,
        )
        return signal.aborted ? 130 : 0
      } finally {
        await producer.close()
      }
    } finally {
      progress.finish()
      await bus.close()
      await store.close()
    }
  },
}

export function parseReplayArgs(argv: string[], names: TopicNames): ReplayArgs {
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        topic: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        'to-topic': { type: 'string' },
      },
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const from = values['from'] as string | undefined
  if (from !== undefined && !/^(s3|file):\/\/./.test(from)) {
    throw new UsageError(`--from: expected s3://bucket/prefix or file://path, got "${from}"`)
  }
  const topicArgs = (values['topic'] as string[] | undefined)
    ?.flatMap((t) => t.split(','))
    .map((t) => t.trim())
  const topics = topicArgs?.filter(Boolean).map((t) => fullTopic('--topic', t, names))
  const toTopicArg = values['to-topic'] as string | undefined
  const sinceMs = time('--since', values['since'] as string | undefined)
  const untilMs = time('--until', values['until'] as string | undefined)
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) {
    throw new UsageError('--until: must be after --since')
  }
  return {
    from,
    topics: topics && topics.length > 0 ? topics : undefined,
    sinceMs,
    untilMs,
    toTopic: toTopicArg === undefined ? undefined : fullTopic('--to-topic', toTopicArg, names),
  }
}

function fullTopic(option: string, name: string, names: TopicNames): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`${option}: "${name}" is not a topic name`)
  return (ALL_TOPICS as readonly string[]).includes(name) ? names.full(name as Topic) : name
}

function time(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseTimestampMs(value)
  if (Number.isNaN(ms))
    throw new UsageError(`${option}: expected an ISO 8601 time such as 2025-01-31T10:00:00Z`)
  return ms
}
