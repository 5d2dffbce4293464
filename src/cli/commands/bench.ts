// `streamwatch bench`: throughput, latency and memory of the etl and the lake sink, each beside
// this machine's own limits measured in the same run (bench/run-bench.ts; docs/benchmark.md).
import { parseArgs } from 'node:util'
import { parseDurationMs } from '../../config/durations.ts'
import { StreamwatchError } from '../../errors.ts'
import { type Command, UsageError } from '../command.ts'

const USAGE = `streamwatch bench [options]

  Runs the benchmark against the local Kafka broker (KAFKA_BROKERS, default 127.0.0.1:9092),
  PostgreSQL (a database streamwatch_bench_<run>_<step> per step, created on the server of
  DATABASE_URL or postgres://postgres@127.0.0.1:5432, dropped after) and the S3 server
  (S3_ENDPOINT, default http://127.0.0.1:9000). Prints the headline table and writes
  bench/results/{quick,full}-latest.{json,md,svg}. See docs/benchmark.md.

  --quick               a reduced run (under 3 minutes): 200,000 events, 5,000 ev/s only
  --events <n>          events of the throughput backlog (default 2,000,000)
  --rates <list>        paced rates of the latency scenario (default 5000,20000)
  --duration <d>        how long each paced rate runs (default 60s; quick 20s)
  --naive-events <n>    events the row-by-row baseline inserts (default 20,000; quick 5,000)
  --etl-processes <l>   etl process counts to compare (default 1,2)
  --results <dir>       where to write the report (default bench/results)

Examples:
  npm run bench -- --quick
  npm run bench -- --events 500000 --rates 20000 --duration 30s`

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark the etl and the lake sink against Kafka, COPY and a naive consumer',
  usage: USAGE,
  async run(argv, { config, logger, out }) {
    let values: Record<string, string | boolean | undefined>
    try {
      ;({ values } = parseArgs({
        args: argv,
        strict: true,
        options: {
          quick: { type: 'boolean' },
          events: { type: 'string' },
          rates: { type: 'string' },
          duration: { type: 'string' },
          'naive-events': { type: 'string' },
          'etl-processes': { type: 'string' },
          results: { type: 'string' },
        },
      }))
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    // loaded only when the benchmark runs: bench/ is in a checkout, not in the image, and every
    // other command must load without it
    const { defaultBenchOptions, formatTable, headlineRows, runBench } = await loadBench()
    const options = defaultBenchOptions(values.quick === true)
    const list = (name: string) => {
      const text = values[name] as string | undefined
      if (text === undefined) return undefined
      const items = text.split(',').map(Number)
      if (items.some((n) => !Number.isInteger(n) || n <= 0)) {
        throw new UsageError(`--${name}: expected whole numbers > 0 separated by commas, got "${text}"`)
      }
      return items
    }
    const events = list('events')?.[0]
    if (events !== undefined) options.events = events
    options.ratesPerSecond = list('rates') ?? options.ratesPerSecond
    options.etlProcesses = list('etl-processes') ?? options.etlProcesses
    const naive = list('naive-events')?.[0]
    if (naive !== undefined) options.naiveEvents = naive
    if (typeof values.duration === 'string') {
      const ms = parseDurationMs(values.duration)
      if (!ms) throw new UsageError(`--duration: expected a duration such as 30s, got "${values.duration}"`)
      options.fixedLoadMs = ms
    }
    if (typeof values.results === 'string') options.resultsDir = values.results
    if (config.KAFKA_BROKERS) options.brokers = config.KAFKA_BROKERS.join(',')
    if (config.DATABASE_URL) {
      const url = new URL(config.DATABASE_URL)
      url.pathname = '/postgres'
      options.adminDatabaseUrl = url.toString()
    }
    if (config.S3_ENDPOINT) options.s3.endpoint = config.S3_ENDPOINT
    if (config.AWS_ACCESS_KEY_ID) options.s3.accessKeyId = config.AWS_ACCESS_KEY_ID
    if (config.AWS_SECRET_ACCESS_KEY) options.s3.secretAccessKey = config.AWS_SECRET_ACCESS_KEY
    const results = await runBench({ ...options, log: (line) => logger.info(line) })
    out.write(formatTable(headlineRows(results)))
    out.write(`report: ${options.resultsDir}/${results.quick ? 'quick' : 'full'}-latest.md\n`)
    return results.errors.length === 0 ? 0 : 1
  },
}

async function loadBench(): Promise<typeof import('../../../bench/run-bench.ts')> {
  try {
    return await import('../../../bench/run-bench.ts')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new StreamwatchError('invalid_input', 'the benchmark runs from a checkout: bench/ is not here', {
      cause: error,
    })
  }
}
