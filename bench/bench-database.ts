// One PostgreSQL database per etl run of the benchmark (`streamwatch_bench_<run>_<step>`): the etl
// keeps its offsets in PostgreSQL, so a fresh database makes it read the same topics from the
// start again. Every database made here is dropped by dropAll().
import pg from 'pg'
import { createDatabase, type Database } from '../src/adapters/postgres/database.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'

export interface BenchDatabases {
  /** creates and migrates `streamwatch_bench_<runId>_<step>`; returns its URL and a connection */
  create(step: string): Promise<{ url: string; db: Database }>
  /** closes the connections and drops every database created */
  dropAll(): Promise<void>
  serverVersion(): Promise<string>
}

export function createBenchDatabases(adminUrl: string, runId: string): BenchDatabases {
  const made: { name: string; db: Database }[] = []
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.end()
    }
  }
  return {
    async create(step) {
      const name = `streamwatch_bench_${runId}_${step}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')
      await admin((c) => c.query(`CREATE DATABASE ${name}`))
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      const db = await createDatabase({ url: url.toString(), maxConnections: 3, applicationName: 'bench' })
      made.push({ name, db })
      await migrate(db)
      return { url: url.toString(), db }
    },
    async dropAll() {
      for (const { db } of made) await db.close().catch(() => undefined)
      await admin(async (c) => {
        for (const { name } of made) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      })
      made.length = 0
    },
    serverVersion: () => admin(async (c) => (await c.query('SHOW server_version')).rows[0].server_version),
  }
}

/** Sum of the etl's stored next offsets over the topics of `prefix`: events consumed and committed. */
export async function storedOffsetTotal(db: Database, prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: number | null }>(
    `SELECT sum(next_offset)::bigint AS n FROM consumer_offsets WHERE group_id = $1`,
    [`${prefix}etl`],
  )
  return rows[0]?.n ?? 0
}

export interface LatencySummary {
  rows: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
  /** per second of event time: rows and p99, for the chart */
  perSecond: { tSec: number; rows: number; p50Ms: number; p99Ms: number }[]
}

const ROWS_OF_ALL_KINDS = `(SELECT ts, ingested_at FROM logs UNION ALL SELECT ts, ingested_at FROM metrics
  UNION ALL SELECT ts, ingested_at FROM transactions) AS r`

/**
 * Event-to-row latency from the rows themselves: ingested_at (now() of the inserting transaction,
 * i.e. its start, a few ms before the row became visible) minus ts (the event's own time, which a
 * paced producer sets to the wall time it is due to be sent).
 */
export async function measureLatency(db: Database): Promise<LatencySummary> {
  const lat = `extract(epoch FROM (ingested_at - ts)) * 1000`
  const { rows } = await db.query<Record<string, number>>(
    `SELECT count(*)::int AS rows,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ${lat}) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ${lat}) AS p95,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ${lat}) AS p99,
       max(${lat}) AS max
     FROM ${ROWS_OF_ALL_KINDS}`,
  )
  const perSecond = await db.query<Record<string, number>>(
    `SELECT floor(extract(epoch FROM ts))::bigint AS t, count(*)::int AS rows,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ${lat}) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ${lat}) AS p99
     FROM ${ROWS_OF_ALL_KINDS} GROUP BY 1 ORDER BY 1`,
  )
  const r = rows[0]!
  const t0 = perSecond.rows[0]?.t ?? 0
  return {
    rows: r.rows ?? 0,
    p50Ms: Number(r.p50 ?? 0),
    p95Ms: Number(r.p95 ?? 0),
    p99Ms: Number(r.p99 ?? 0),
    maxMs: Number(r.max ?? 0),
    perSecond: perSecond.rows.map((s) => ({
      tSec: Number(s.t) - Number(t0),
      rows: s.rows!,
      p50Ms: Number(s.p50),
      p99Ms: Number(s.p99),
    })),
  }
}

/** Rows the etl stored (events + dead letters). */
export async function countStored(db: Database): Promise<{ rows: number; deadLetters: number }> {
  const { rows } = await db.query<{ rows: number; dead: number }>(
    `SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM metrics) + (SELECT count(*) FROM transactions) AS rows,
       (SELECT count(*) FROM dead_letters) AS dead`,
  )
  return { rows: Number(rows[0]!.rows), deadLetters: Number(rows[0]!.dead) }
}
