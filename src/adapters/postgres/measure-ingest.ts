// An ingest measurement run by hand, not a test (figures depend on the machine and its load):
//   node src/adapters/postgres/measure-ingest.ts [rows=1000000] [--rounds=3] [--compare] [--pglite=ROWS]
// On a fresh database of the local PostgreSQL (TEST_POSTGRES_URL), with the real schema and its
// indexes, it loads the same narrow log rows into `logs`, emptied before each run:
// - commitBatch: the etl store, batches of 5,000 rows, each batch one fenced transaction;
// - COPY: `psql \copy` of the same rows from a CSV file (needs psql on PATH), the upper bound;
// - with --compare (on up to 200,000 rows), the statement shapes we considered, interleaved
//   batch by batch: row objects through json_/jsonb_to_recordset, unnest() of typed arrays, and
//   column arrays in one jsonb (ours), all with ON CONFLICT DO NOTHING; ours without it in a
//   savepoint (what commitBatch does), into `logs` and into a copy partitioned by day (rows 500 ms
//   apart: 1,000,000 rows span 6 days);
// - with --pglite=ROWS, commitBatch into PGlite in a temporary directory.
// Runs alternate (A B A B) so that load from other processes hits every method alike; the best
// run of each is the least disturbed one.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogEvent } from '../../contracts/events.ts'
import { encodeColumns } from './columnar-insert.ts'
import type { Database, Queryable } from './database.ts'
import { createEtlStore } from './etl-store.ts'
import { INSERT_LOGS_SQL, LOG_COLUMNS, SKIP_EVENT_DUPLICATES } from './insert-events.ts'
import { migrate } from './migrate.ts'
import { createTestDatabase } from './test-database.ts'

const rowCount = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000)
const compare = process.argv.includes('--compare')
const pgliteRows = Number(process.argv.find((a) => a.startsWith('--pglite='))?.slice(9) ?? 0)
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3)
const BATCH = 5000
const T0 = Date.UTC(2024, 10, 25)
const services = Array.from({ length: 20 }, (_, i) => `service-${i}`)
const levels = ['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG']

function makeLog(offset: number): LogEvent {
  return {
    kind: 'log',
    eventId: `logs/0/${offset}`,
    tsMs: T0 + offset * 500,
    source: { topic: 'logs', partition: 0, offset },
    attributes: {},
    service: services[offset % services.length]!,
    level: levels[offset % levels.length] as LogEvent['level'],
    message: `request ${offset} handled`,
    userId: offset % 3 === 0 ? `u-${offset % 977}` : null,
  }
}

type Method = (db: Database, count: number) => Promise<void>

const viaCommitBatch: Method = async (db, count) => {
  const store = createEtlStore(db, { groupId: `bench-${Date.now()}` })
  let expectedOffset: number | null = null
  for (let start = 0; start < count; start += BATCH) {
    const logs = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => makeLog(start + i))
    const offset = start + logs.length
    await store.commitBatch({
      logs,
      metrics: [],
      transactions: [],
      rejections: [],
      anomalies: [],
      detectorStates: [],
      offsets: [{ topic: 'logs', partition: 0, offset, expectedOffset }],
    })
    expectedOffset = offset
  }
}

/** Statement shapes compared with --compare: each inserts `logs` (5,000 rows) into `table`. */
type Shape = (tx: Queryable, table: string, logs: LogEvent[]) => Promise<unknown>

const jsonRows = (logs: LogEvent[]) =>
  JSON.stringify(
    logs.map((e) => ({
      event_id: e.eventId,
      ts_ms: e.tsMs,
      service: e.service,
      level: e.level,
      message: e.message,
      user_id: e.userId,
      attributes: e.attributes,
      topic: e.source.topic,
      partition: e.source.partition,
      offset: e.source.offset,
    })),
  )

const rowWise = (table: string, fn: 'json_to_recordset($1::json)' | 'jsonb_to_recordset($1::jsonb)') =>
  `INSERT INTO ${table} (event_id, ts, service, level, message, user_id, attributes, topic, partition, "offset")
   SELECT event_id, to_timestamp(ts_ms / 1000), service, level, message, user_id, attributes, topic, partition, "offset"
   FROM ${fn} AS r(event_id text, ts_ms double precision, service text, level text, message text, user_id text,
     attributes jsonb, topic text, partition int, "offset" bigint)
   ${SKIP_EVENT_DUPLICATES}`

const columnarInto = (table: string, onConflict: boolean) =>
  `${INSERT_LOGS_SQL.replace('INSERT INTO logs', `INSERT INTO ${table}`)}\n${onConflict ? SKIP_EVENT_DUPLICATES : ''}`

const shapes: [string, Shape][] = [
  [
    'rows: json_to_recordset',
    (tx, table, logs) => tx.query(rowWise(table, 'json_to_recordset($1::json)'), [jsonRows(logs)]),
  ],
  [
    'rows: jsonb_to_recordset',
    (tx, table, logs) => tx.query(rowWise(table, 'jsonb_to_recordset($1::jsonb)'), [jsonRows(logs)]),
  ],
  [
    'unnest(typed arrays)',
    (tx, table, logs) =>
      tx.query(
        `INSERT INTO ${table} (event_id, ts, service, level, message, user_id, attributes, topic, partition, "offset")
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::jsonb[], $8::text[], $9::int[], $10::bigint[])
         ${SKIP_EVENT_DUPLICATES}`,
        [
          logs.map((e) => e.eventId),
          logs.map((e) => new Date(e.tsMs)),
          logs.map((e) => e.service),
          logs.map((e) => e.level),
          logs.map((e) => e.message),
          logs.map((e) => e.userId),
          logs.map((e) => JSON.stringify(e.attributes)),
          logs.map((e) => e.source.topic),
          logs.map((e) => e.source.partition),
          logs.map((e) => e.source.offset),
        ],
      ),
  ],
  [
    'columns: jsonb arrays',
    (tx, table, logs) => tx.query(columnarInto(table, true), [encodeColumns(logs, LOG_COLUMNS)]),
  ],
  ['columns, no ON CONFLICT', insertInSavepoint],
  ['same, partitioned by day', insertInSavepoint],
]

/** what commitBatch does when the batch has no duplicate */
async function insertInSavepoint(tx: Queryable, table: string, logs: LogEvent[]): Promise<void> {
  await tx.exec('SAVEPOINT s')
  await tx.query(columnarInto(table, false), [encodeColumns(logs, LOG_COLUMNS)])
  await tx.exec('RELEASE SAVEPOINT s')
}

/** `logs` partitioned by day of ts: the primary key must then include ts. */
function createPartitioned(table: string): string {
  const days = Array.from({ length: 14 }, (_, i) => new Date(T0 + i * 86_400_000).toISOString().slice(0, 10))
  return `CREATE TABLE ${table} (LIKE logs INCLUDING DEFAULTS) PARTITION BY RANGE (ts);
    ALTER TABLE ${table} ADD PRIMARY KEY (event_id, ts);
    CREATE INDEX ON ${table} (ts DESC);
    CREATE INDEX ON ${table} (service, ts DESC);
    CREATE INDEX ON ${table} (level, ts DESC);
    ${days
      .map(
        (day, i) =>
          `CREATE TABLE ${table}_${i} PARTITION OF ${table} FOR VALUES FROM ('${day}') TO ('${day}'::date + 1);`,
      )
      .join('\n')}`
}

/**
 * Every shape into its own copy of `logs`, batch after batch in turn, so that whatever else the
 * machine does slows them all alike. Times include encoding in Node and the transaction.
 */
async function compareShapes(db: Database, count: number): Promise<void> {
  const tables = shapes.map((_, i) => `logs_shape_${i}`)
  for (const [i, table] of tables.entries()) {
    const partitioned = shapes[i]![0].includes('partitioned')
    await db.exec(partitioned ? createPartitioned(table) : `CREATE TABLE ${table} (LIKE logs INCLUDING ALL)`)
  }
  const totalsMs = shapes.map(() => 0)
  for (let start = 0; start < count; start += BATCH) {
    const logs = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => makeLog(start + i))
    for (const [i, [, shape]] of shapes.entries()) {
      const startMs = performance.now()
      await db.transaction((tx) => shape(tx, tables[i]!, logs))
      totalsMs[i]! += performance.now() - startMs
    }
  }
  console.log(`statement shapes, ${count} rows each, batches of ${BATCH} interleaved:`)
  for (const [i, [name]] of shapes.entries()) {
    const rate = Math.round(count / (totalsMs[i]! / 1000))
    console.log(`  ${name.padEnd(26)} ${(totalsMs[i]! / 1000).toFixed(1).padStart(6)} s ${rate} rows/s`)
  }
  for (const table of tables) await db.exec(`DROP TABLE ${table} CASCADE`)
}

function csvOf(count: number): string {
  const lines: string[] = []
  for (let offset = 0; offset < count; offset++) {
    const e = makeLog(offset)
    const ts = new Date(e.tsMs).toISOString()
    lines.push(
      `${e.eventId},${ts},${e.service},${e.level},${e.message},${e.userId ?? ''},{},logs,0,${offset}`,
    )
  }
  return `${lines.join('\n')}\n`
}

function viaPsqlCopy(url: string, csvPath: string): Method {
  return async () => {
    const copy = `\\copy logs (event_id, ts, service, level, message, user_id, attributes, topic, partition, "offset") from '${csvPath}' with (format csv)`
    const result = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-c', copy], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`psql: ${result.stderr || result.error}`)
  }
}

async function measure(name: string, db: Database, count: number, method: Method): Promise<number> {
  await db.exec('TRUNCATE logs; CHECKPOINT;')
  const startMs = performance.now()
  await method(db, count)
  const seconds = (performance.now() - startMs) / 1000
  const stored = (await db.query<{ n: number }>('SELECT count(*) AS n FROM logs')).rows[0]!.n
  if (stored !== count) throw new Error(`${name}: ${stored} rows stored, expected ${count}`)
  const rate = Math.round(count / seconds)
  console.log(
    `${name.padEnd(26)} ${String(count).padStart(9)} rows ${seconds.toFixed(1).padStart(6)} s ${rate} rows/s`,
  )
  return rate
}

const scratch = await mkdtemp(join(tmpdir(), 'streamwatch-ingest-'))
const pg = await createTestDatabase('pg')
try {
  await migrate(pg.db)
  const csvPath = join(scratch, 'logs.csv')
  await writeFile(csvPath, csvOf(rowCount))
  const copy = viaPsqlCopy(pg.options.url!, csvPath)
  const methods: [string, Method][] = [
    ['pg commitBatch', viaCommitBatch],
    ['pg COPY (psql \\copy)', copy],
  ]
  const rates = new Map<string, number[]>(methods.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, method] of methods) rates.get(name)!.push(await measure(name, pg.db, rowCount, method))
  }
  console.log(`best and median of ${rounds} runs:`)
  for (const [name, list] of rates) {
    const sorted = [...list].sort((a, b) => a - b)
    console.log(
      `  ${name.padEnd(26)} best ${sorted.at(-1)} rows/s, median ${sorted[Math.floor(sorted.length / 2)]} rows/s`,
    )
  }
  const { rows } = await pg.db.query<{ name: string; mb: number }>(
    `SELECT c.relname AS name, round(pg_relation_size(c.oid) / 1048576.0, 1) AS mb
     FROM pg_class c WHERE c.relname LIKE 'logs%' AND c.relkind IN ('r', 'i') ORDER BY 1`,
  )
  console.log('sizes after the last run (MB):', rows.map((r) => `${r.name} ${r.mb}`).join(', '))
  if (compare) await compareShapes(pg.db, Math.min(rowCount, 200_000))
} finally {
  await pg.destroy()
}
if (pgliteRows > 0) {
  const lite = await createTestDatabase('pglite')
  try {
    await migrate(lite.db)
    await measure('pglite commitBatch', lite.db, pgliteRows, viaCommitBatch)
  } finally {
    await lite.destroy()
  }
}
await rm(scratch, { recursive: true, force: true })
