// `streamwatch lake-sink`: archive every raw record of every topic into the lake, exactly once.
import { parseArgs } from 'node:util'
import { parseDurationMs } from '../../config/durations.ts'
import { ALL_TOPICS, createTopicNames } from '../../contracts/topics.ts'
import { createMetrics } from '../../observability/metrics.ts'
import { createLakeSink, LAKE_SINK_DEFAULTS, type LakeSinkOptions } from '../../pipelines/lake.ts'
import { createBusFromConfig, isSharedBus } from '../build-bus.ts'
import { type Command, UsageError } from '../command.ts'
import { openLakeStore, withMetricsServed } from '../platform.ts'

const MIB = 1024 * 1024

const USAGE = `streamwatch lake-sink [options]

  Archives every record of logs, metrics, transactions and dead-letters (TOPIC_PREFIX applied),
  unchanged, into LAKE_URL as gzipped JSON Lines, in consumer group "lake": exactly once across
  crashes and restarts (docs/lake.md). Runs until Ctrl-C, then stores what it holds and commits.
  With METRICS_PORT set, serves /metrics and /healthz there.

  --max-object-bytes <size>    uncompressed bytes per object, e.g. 64MiB (default 64MiB)
  --max-object-records <n>     records per object (default ${LAKE_SINK_DEFAULTS.maxObjectRecords})
  --flush-after <duration>     store a partition's records at most this long after the first
                               arrived, e.g. 10s (default ${LAKE_SINK_DEFAULTS.maxBufferAgeMs / 1000}s)
  --max-buffered-bytes <size>  all partitions' buffers together; the largest is stored first
                               beyond it (default ${LAKE_SINK_DEFAULTS.maxBufferedBytes / MIB}MiB)
  --gzip-level <1..9>          compression level (default ${LAKE_SINK_DEFAULTS.gzipLevel})
  --shutdown-timeout <d>       on stop, how long to wait for a store that is down (default 30s)

Examples:
  LAKE_URL=s3://streamwatch/lake S3_ENDPOINT=http://127.0.0.1:9000 S3_FORCE_PATH_STYLE=true \\
    AWS_ACCESS_KEY_ID=streamwatch AWS_SECRET_ACCESS_KEY=streamwatch-secret \\
    KAFKA_BROKERS=127.0.0.1:9092 streamwatch lake-sink
  streamwatch lake-sink --flush-after 1s --max-object-records 10000`

export const lakeSinkCommand: Command = {
  name: 'lake-sink',
  summary: 'archive every raw event in the lake (S3 or files), exactly once',
  usage: USAGE,
  async run(argv, { config, logger, signal, out }) {
    const limits = parseLakeSinkArgs(argv)
    if (!isSharedBus(config)) {
      logger.warn('KAFKA_BROKERS is unset: archiving the in-memory bus of this process only')
    }
    const names = createTopicNames(config.TOPIC_PREFIX)
    const topics = ALL_TOPICS.map((t) => names.full(t))
    const metrics = createMetrics()
    return withMetricsServed(config, { metrics, logger, part: 'lake-sink' }, async () => {
      const store = openLakeStore(config)
      const bus = createBusFromConfig(config, logger)
      const sink = createLakeSink(
        { bus, store, logger, metrics },
        { ...limits, topics, groupId: names.group('lake') },
      )
      const progress = setInterval(() => logger.info(sink.stats(), 'lake sink progress'), 30_000).unref()
      try {
        await bus.ensureTopics(topics, config.KAFKA_PARTITIONS)
        await sink.run(signal)
      } finally {
        clearInterval(progress)
        await bus.close()
        await store.close()
      }
      const s = sink.stats()
      const ratio = s.bytesStored > 0 ? (s.bytesUncompressed / s.bytesStored).toFixed(1) : '-'
      out.write(
        `lake-sink: ${s.recordsArchived} records archived in ${s.objectsStored} objects to ${store.url} ` +
          `(${(s.bytesUncompressed / MIB).toFixed(1)} MiB as ${(s.bytesStored / MIB).toFixed(1)} MiB, ${ratio}x); ` +
          `${s.recordsSkipped} re-read records skipped, ${s.storeRetries} store retries\n`,
      )
      return 0
    })
  },
}

type Limits = Omit<LakeSinkOptions, 'topics' | 'groupId'>

export function parseLakeSinkArgs(argv: string[]): Limits {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'max-object-bytes': { type: 'string' },
        'max-object-records': { type: 'string' },
        'flush-after': { type: 'string' },
        'max-buffered-bytes': { type: 'string' },
        'gzip-level': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
      },
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const text = (name: string) => values[name] as string | undefined
  const maxObjectBytes =
    size('--max-object-bytes', text('max-object-bytes')) ?? LAKE_SINK_DEFAULTS.maxObjectBytes
  const maxBufferedBytes =
    size('--max-buffered-bytes', text('max-buffered-bytes')) ?? LAKE_SINK_DEFAULTS.maxBufferedBytes
  const gzipLevel = text('gzip-level') ?? String(LAKE_SINK_DEFAULTS.gzipLevel)
  if (!/^[1-9]$/.test(gzipLevel)) throw new UsageError(`--gzip-level: expected 1..9, got "${gzipLevel}"`)
  const records = text('max-object-records')
  if (records !== undefined && !/^[1-9]\d*$/.test(records)) {
    throw new UsageError(`--max-object-records: expected a whole number >= 1, got "${records}"`)
  }
  return {
    ...LAKE_SINK_DEFAULTS,
    maxObjectBytes,
    maxBufferedBytes: Math.max(maxBufferedBytes, maxObjectBytes),
    maxObjectRecords: records === undefined ? LAKE_SINK_DEFAULTS.maxObjectRecords : Number(records),
    maxBufferAgeMs: duration('--flush-after', text('flush-after')) ?? LAKE_SINK_DEFAULTS.maxBufferAgeMs,
    gzipLevel: Number(gzipLevel),
    shutdownTimeoutMs:
      duration('--shutdown-timeout', text('shutdown-timeout')) ?? LAKE_SINK_DEFAULTS.shutdownTimeoutMs,
  }
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: MIB,
  gib: 1024 * MIB,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
}

function size(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value)
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x']
  const bytes = match && unit !== undefined ? Math.round(Number(match[1]) * unit) : Number.NaN
  if (!(bytes >= 1))
    throw new UsageError(`${option}: expected a size such as 64MiB or 1000000, got "${value}"`)
  return bytes
}

function duration(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDurationMs(value)
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${option}: expected a duration such as 10s, got "${value}"`)
  return ms
}
