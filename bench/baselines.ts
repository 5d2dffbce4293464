// The baselines every figure is divided by, measured in the same run on the same data:
// - Kafka's own consumer (kafka-consumer-perf-test, Java) on the same topics: what the broker gives;
// - a raw COPY (psql \copy) of the same rows, exported from the etl's tables as CSV, into tables of
//   the same shape (LIKE ... INCLUDING ALL: the same keys and indexes): what PostgreSQL takes;
// - a naive consumer inserting row by row (naive-consumer.ts), on a bounded sample.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Database } from '../src/adapters/postgres/database.ts'
import { startNodeChild } from './child-process.ts'

const run = promisify(execFile)

export interface BaselineRate {
  records: number
  seconds: number
  eventsPerSecond: number
  peakRssMb?: number
  note?: string
}

/** kafka-consumer-perf-test over every topic matching `^<prefix>(logs|metrics|transactions)$`. */
export async function measureKafkaConsumer(
  brokers: string,
  prefix: string,
  records: number,
): Promise<BaselineRate> {
  const { stdout } = await run(
    'bash',
    [
      'scripts/kafka.sh',
      'tool',
      'consumer-perf-test',
      '--bootstrap-server',
      brokers,
      '--include',
      `^${prefix.replace(/\./g, '\\.')}(logs|metrics|transactions)$`,
      '--num-records',
      String(records),
      '--group',
      `${prefix}bench-java`,
      '--timeout',
      '60000',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  )
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  //      rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = stdout
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map((c) => c.trim())
  const consumed = Number(row[4])
  const fetchMs = Number(row[7])
  return {
    records: consumed,
    seconds: fetchMs / 1000,
    eventsPerSecond: Number(row[9]),
    note: `after ${row[6]} ms of group join`,
  }
}

const TABLE_COLUMNS: Record<string, string> = {
  logs: 'event_id, ts, service, level, message, user_id, attributes, topic, partition, "offset"',
  metrics: 'event_id, ts, service, cpu, latency_ms, attributes, topic, partition, "offset"',
  transactions:
    'event_id, ts, transaction_id, user_id, amount, currency, merchant, status, attributes, topic, partition, "offset"',
}

/**
 * Exports the etl's rows to CSV files in `scratchDir`, then times `psql \copy` of each into an
 * empty table of the same shape. Only the COPYs are timed (psql's start is included: ~10 ms each).
 */
export async function measureRawCopy(db: Database, url: string, scratchDir: string): Promise<BaselineRate> {
  let records = 0
  let seconds = 0
  for (const [table, columns] of Object.entries(TABLE_COLUMNS)) {
    const csv = join(scratchDir, `${table}.csv`)
    await psql(url, `\\copy (SELECT ${columns} FROM ${table}) TO '${csv}' WITH (FORMAT csv)`)
    await db.exec(`CREATE TABLE copy_${table} (LIKE ${table} INCLUDING ALL); CHECKPOINT`)
    const startedAt = performance.now()
    await psql(url, `\\copy copy_${table} (${columns}) FROM '${csv}' WITH (FORMAT csv)`)
    seconds += (performance.now() - startedAt) / 1000
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM copy_${table}`)
    records += rows[0]!.n
  }
  return { records, seconds, eventsPerSecond: records / seconds }
}

async function psql(url: string, command: string): Promise<void> {
  await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], { maxBuffer: 1024 * 1024 })
}

/** The row-by-row consumer on the first `records` events of the topics, into `url`'s tables. */
export async function measureNaiveConsumer(
  brokers: string,
  prefix: string,
  url: string,
  records: number,
): Promise<BaselineRate> {
  const topics = ['logs', 'metrics', 'transactions'].map((t) => `${prefix}${t}`).join(',')
  const child = startNodeChild({
    name: 'naive consumer',
    args: ['bench/naive-consumer.ts', brokers, topics, url, String(records)],
    env: {},
  })
  const code = await child.exited()
  if (code !== 0) throw new Error(`naive consumer exited with ${code}: ${child.stderrTail()}`)
  const result = JSON.parse(child.stdout().trim().split('\n').at(-1)!) as {
    records: number
    seconds: number
  }
  return {
    records: result.records,
    seconds: result.seconds,
    eventsPerSecond: result.records / result.seconds,
    peakRssMb: child.peakRssMb(),
  }
}
