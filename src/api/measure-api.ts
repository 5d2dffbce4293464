// A measurement run by hand, not a test (figures depend on the machine and its load):
//   node src/api/measure-api.ts seed [events=10000000]   fill the database streamwatch_api_bench
//   node src/api/measure-api.ts run [--seconds=15] [--only=queries|ingest]   latency of the dashboard's queries, ingest
//   node src/api/measure-api.ts trigger-cost [rows]      what the rollup triggers cost the etl
// `seed` (re)creates the database on the local server (TEST_POSTGRES_URL's), migrates it, and
// writes the events with generate_series in SQL: 60% logs, 30% metrics, 10% transactions, spread
// evenly over the 7 days before now and inserted oldest first (as the etl would), 20 services, each
// in one partition (keyed, as on the bus), plus 20,000 anomaly episodes, 10,000 dead letters and
// the etl's offsets; then VACUUM ANALYZE. The rollups fill in through the triggers.
// `run` starts `streamwatch api` on it in a child process (its own event loop and core), and
// drives it with autocannon: each dashboard query with 1 and with 8 connections, then
// POST /api/ingest/logs with NDJSON bodies of 100 and 1,000 events to Kafka (KAFKA_BROKERS,
// default 127.0.0.1:9092; topics prefixed "api-bench."). Prints p50/p99 and requests/s.
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import pg from 'pg'

const ADMIN_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const NAME = 'streamwatch_api_bench'
const BENCH_URL = Object.assign(new URL(ADMIN_URL), { pathname: `/${NAME}` }).toString()
const SPAN_MS = 7 * 86_400_000
const CHUNK = 500_000

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function timed(label: string, fn: () => Promise<unknown>): Promise<void> {
  const started = performance.now()
  await fn()
  process.stdout.write(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
}

/** `count` rows of `table` in chunks; `select` gets g (0-based, oldest first) and n. */
async function fill(client: pg.Client, table: string, count: number, columns: string, select: string) {
  for (let from = 0; from < count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK) - 1
    await client.query(
      `INSERT INTO ${table} (${columns}) SELECT ${select.replaceAll('$N', String(count))}
       FROM generate_series(${from}, ${to}) AS g`,
    )
    process.stdout.write(`  ${table}: ${to + 1}/${count}\r`)
  }
  process.stdout.write('\n')
}

async function seed(events: number): Promise<void> {
  await withClient(ADMIN_URL, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${NAME}`)
  })
  const { createDatabase } = await import('../adapters/postgres/database.ts')
  const { migrate } = await import('../adapters/postgres/migrate.ts')
  const db = await createDatabase({ url: BENCH_URL })
  await migrate(db)
  await db.close()
  const logs = Math.round(events * 0.6)
  const metrics = Math.round(events * 0.3)
  const transactions = events - logs - metrics
  await withClient(BENCH_URL, async (c) => {
    await c.query(`SELECT setseed(0.42)`)
    // ts: evenly from now - 7 days to now, oldest first; `t0` and the step are fixed per table
    const ts = (n: number) =>
      `now() - interval '${SPAN_MS} milliseconds' + (g::float8 * ${SPAN_MS} / ${n}) * interval '1 millisecond'`
    await timed(`logs (${logs})`, () =>
      fill(
        c,
        'logs',
        logs,
        'event_id, ts, ingested_at, service, level, message, user_id, topic, partition, "offset"',
        `'bench/logs/' || g, ${ts(logs)}, ${ts(logs)} + interval '80 milliseconds',
         'svc-' || lpad((g % 20)::text, 2, '0'),
         -- 2% ERROR, 3% WARN, 5% DEBUG, 90% INFO: past the array's end the lookup is null
         coalesce((ARRAY['ERROR','ERROR','WARN','WARN','WARN','DEBUG','DEBUG','DEBUG','DEBUG','DEBUG'])[1 + floor(random() * 100)::int], 'INFO'),
         (ARRAY['request served','cache miss','payment declined','timeout calling upstream','user logged in',
                'retrying request'])[1 + g % 6] || ' #' || (g % 1000),
         CASE WHEN g % 3 = 0 THEN 'u-' || (g * 31 % 100000) END, 'logs', (g % 20) % 6, g / 6`,
      ),
    )
    await timed(`metrics (${metrics})`, () =>
      fill(
        c,
        'metrics',
        metrics,
        'event_id, ts, ingested_at, service, cpu, latency_ms, topic, partition, "offset"',
        `'bench/metrics/' || g, ${ts(metrics)}, ${ts(metrics)} + interval '80 milliseconds',
         'svc-' || lpad((g % 20)::text, 2, '0'),
         least(100, greatest(0, 35 + 30 * (random() + random() + random() - 1.5) + CASE WHEN g % 500 = 0 THEN 50 ELSE 0 END)),
         40 + 200 * random() * random() + CASE WHEN g % 300 = 0 THEN 600 ELSE 0 END, 'metrics', (g % 20) % 6, g / 6`,
      ),
    )
    await timed(`transactions (${transactions})`, () =>
      fill(
        c,
        'transactions',
        transactions,
        'event_id, ts, ingested_at, transaction_id, user_id, amount, currency, merchant, status, topic, partition, "offset"',
        `'bench/transactions/' || g, ${ts(transactions)}, ${ts(transactions)} + interval '80 milliseconds',
         'tx-' || g, 'u-' || (g * 31 % 50000),
         round((power(random(), 3) * 2000 + CASE WHEN g % 1000 = 0 THEN 12000 ELSE 1 END)::numeric, 2),
         (ARRAY['USD','EUR','GBP','JPY'])[1 + g % 4], 'merchant-' || (g % 500),
         CASE WHEN g % 50 = 0 THEN 'declined' ELSE 'approved' END, 'transactions', (g * 31 % 50000) % 6, g / 6`,
      ),
    )
    await timed('anomalies (20000), dead letters (10000), offsets', async () => {
      await c.query(
        `INSERT INTO anomalies (id, rule, key, topic, status, severity, first_seen, last_seen, resolved_at, value,
           threshold, comparator, event_count, window_ms, created_at, updated_at)
         SELECT 'bench-anomaly-' || g, r.rule, 'svc-' || lpad((g % 20)::text, 2, '0'), r.topic,
           CASE WHEN g >= 19950 THEN 'open' WHEN g >= 19930 THEN 'acknowledged' ELSE 'resolved' END,
           r.severity, f, f + interval '3 minutes',
           CASE WHEN g < 19930 THEN f + interval '8 minutes' END, 90 + g % 10, r.threshold, '>', 5 + g % 50,
           r.window_ms, f, f + interval '8 minutes'
         FROM generate_series(0, 19999) AS g,
           LATERAL (SELECT now() - interval '${SPAN_MS} milliseconds' + (g::float8 * ${SPAN_MS} / 20000) * interval '1 millisecond' AS f) AS t,
           LATERAL (SELECT (ARRAY['error_burst','high_cpu','high_latency','large_transaction'])[1 + g % 4] AS rule,
                           (ARRAY['logs','metrics','metrics','transactions'])[1 + g % 4] AS topic,
                           (ARRAY['critical','warning','warning','warning'])[1 + g % 4] AS severity,
                           (ARRAY[20, 85, 400, 10000])[1 + g % 4] AS threshold,
                           CASE WHEN g % 4 = 0 THEN 60000 END AS window_ms) AS r`,
      )
      await c.query(
        `INSERT INTO dead_letters (topic, partition, "offset", expected_kind, reason, message, raw, received_at)
         SELECT (ARRAY['logs','metrics','transactions'])[1 + g % 3], g % 6, 1000000 + g, 'log',
           (ARRAY['invalid_json','out_of_range','missing_field','timestamp_too_old'])[1 + g % 4], 'bench',
           convert_to('{"bench":' || g || '}', 'UTF8'),
           now() - interval '${SPAN_MS} milliseconds' + (g::float8 * ${SPAN_MS} / 10000) * interval '1 millisecond'
         FROM generate_series(0, 9999) AS g`,
      )
      await c.query(
        `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
         SELECT 'etl', t, p, 1000000 FROM unnest(ARRAY['logs','metrics','transactions']) AS t, generate_series(0, 5) AS p`,
      )
    })
    await timed('VACUUM ANALYZE', () => c.query('VACUUM ANALYZE'))
    const { rows } = await c.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)
    process.stdout.write(`database size: ${rows[0].size}\n`)
  })
}

interface Result {
  label: string
  connections: number
  p50: number
  p99: number
  rps: number
  non2xx: number
}

async function drive(
  base: string,
  label: string,
  path: string,
  connections: number,
  seconds: number,
  extra: Partial<autocannon.Options> = {},
): Promise<Result> {
  const result = await autocannon({
    ...extra,
    url: `${base}${path}`,
    connections,
    duration: seconds,
    headers: { authorization: 'Bearer bench', ...(extra.headers ?? {}) },
  })
  return {
    label,
    connections,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    non2xx: result.non2xx,
  }
}

async function run(seconds: number, only: string | undefined): Promise<void> {
  const port = 18_080
  const base = `http://127.0.0.1:${port}`
  const main = fileURLToPath(new URL('../cli/main.ts', import.meta.url))
  const child = spawn(process.execPath, [main, 'api'], {
    env: {
      ...process.env,
      DATABASE_URL: BENCH_URL,
      API_PORT: String(port),
      API_TOKEN: 'bench',
      API_RATE_LIMIT: '0',
      API_STATEMENT_TIMEOUT: '30s',
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
      TOPIC_PREFIX: 'api-bench.',
      LOG_LEVEL: 'warn',
      DATA_DIR: '/tmp/streamwatch-api-bench',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)
      if (ok) break
      if (i > 300) throw new Error('the api did not start')
      await sleep(100)
    }
    const queries: Array<[string, string]> = [
      ['stats, last hour', '/api/stats?from=-1h'],
      ['stats, last 24 h', '/api/stats?from=-24h'],
      ['timeseries events, 1 h', '/api/timeseries?series=events&from=-1h'],
      ['timeseries events, 24 h', '/api/timeseries?series=events&from=-24h'],
      ['timeseries cpu (avg/p95/max), 24 h', '/api/timeseries?series=cpu&from=-24h'],
      ['anomalies, first page of 50', '/api/anomalies?limit=50'],
      ['anomalies, open', '/api/anomalies?status=open,acknowledged&from=-7d&limit=50'],
      ['logs, first page of 100', '/api/logs?limit=100'],
      ['logs, errors of one service, 24 h', '/api/logs?service=svc-03&level=ERROR&from=-24h&limit=100'],
    ]
    const results: Result[] = []
    for (const [label, path] of only === 'ingest' ? [] : queries) {
      const check = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer bench' } })
      if (!check.ok) throw new Error(`${path}: ${check.status} ${await check.text()}`)
      for (const connections of [1, 8]) {
        const r = await drive(base, label, path, connections, seconds)
        results.push(r)
        process.stdout.write(
          `${label.padEnd(38)} c=${connections}  p50 ${String(r.p50).padStart(5)} ms  p99 ${String(r.p99).padStart(5)} ms  ${r.rps.toFixed(1).padStart(7)} req/s${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}\n`,
        )
      }
    }
    for (const size of only === 'queries' ? [] : [100, 1000]) {
      const probe = await fetch(`${base}/api/ingest/logs`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench', 'content-type': 'application/x-ndjson' },
        body: JSON.stringify({
          timestamp: new Date().toISOString(),
          service: 'svc-00',
          level: 'INFO',
          message: 'probe',
        }),
      })
      if (!probe.ok) throw new Error(`ingest: ${probe.status} ${await probe.text()}`)
      const body = Array.from({ length: size }, (_, i) =>
        JSON.stringify({
          timestamp: new Date().toISOString(),
          service: `svc-${String(i % 20).padStart(2, '0')}`,
          level: i % 50 === 0 ? 'ERROR' : 'INFO',
          message: `ingested over http #${i}`,
        }),
      ).join('\n')
      for (const connections of [1, 8]) {
        const r = await drive(base, `ingest ${size}/request`, '/api/ingest/logs', connections, seconds, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-ndjson' },
        })
        process.stdout.write(
          `ingest, ${String(size).padStart(4)} events/request          c=${connections}  p50 ${String(r.p50).padStart(5)} ms  p99 ${String(r.p99).padStart(5)} ms  ${(r.rps * size).toFixed(0).padStart(7)} events/s${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}\n`,
        )
      }
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    // what ingest published is of no further use: drop the topics
    const { Admin } = await import('@platformatic/kafka')
    const admin = new Admin({
      clientId: 'api-bench-cleanup',
      bootstrapBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    })
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith('api-bench.'))
      if (topics.length > 0) await admin.deleteTopics({ topics })
    } finally {
      await admin.close()
    }
  }
}

/**
 * What the rollup triggers cost the etl: commitBatch of the same 5,000-log batches into a fresh
 * database with the triggers enabled and disabled, alternating, best of `rounds` each.
 */
async function measureTriggerCost(rows: number, rounds: number): Promise<void> {
  const { createTestDatabase } = await import('../adapters/postgres/test-database.ts')
  const { migrate } = await import('../adapters/postgres/migrate.ts')
  const { createEtlStore } = await import('../adapters/postgres/etl-store.ts')
  const t = await createTestDatabase('pg')
  try {
    await migrate(t.db)
    const batchSize = 5_000
    const t0 = Date.now() - 86_400_000
    const best = { with: Number.POSITIVE_INFINITY, without: Number.POSITIVE_INFINITY }
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['with', 'without'] as const) {
        await t.db.exec(`TRUNCATE logs, event_rollups, consumer_offsets;
          ALTER TABLE logs ${mode === 'with' ? 'ENABLE' : 'DISABLE'} TRIGGER logs_rollups_insert`)
        const store = createEtlStore(t.db, { groupId: `measure-${round}-${mode}` })
        const started = performance.now()
        for (let start = 0; start < rows; start += batchSize) {
          const logs = Array.from({ length: batchSize }, (_, i) => {
            const offset = start + i
            return {
              kind: 'log' as const,
              eventId: `logs/${offset % 6}/${offset}`,
              tsMs: t0 + offset * 20,
              source: { topic: 'logs', partition: offset % 6, offset },
              attributes: {},
              service: `svc-${offset % 6}`,
              level: (offset % 50 === 0 ? 'ERROR' : 'INFO') as 'ERROR' | 'INFO',
              message: `request ${offset} served`,
              userId: null,
            }
          })
          await store.commitBatch({
            logs,
            metrics: [],
            transactions: [],
            rejections: [],
            anomalies: [],
            detectorStates: [],
            offsets: [0, 1, 2, 3, 4, 5].map((partition) => ({
              topic: 'logs',
              partition,
              offset: start + batchSize,
              expectedOffset: start === 0 ? null : start,
            })),
          })
        }
        const seconds = (performance.now() - started) / 1000
        best[mode] = Math.min(best[mode], seconds)
        process.stdout.write(
          `round ${round + 1}, triggers ${mode.padEnd(7)}: ${(rows / seconds).toFixed(0)} rows/s\n`,
        )
      }
    }
    process.stdout.write(
      `best: with triggers ${(rows / best.with).toFixed(0)} rows/s, without ${(rows / best.without).toFixed(0)} rows/s ` +
        `(${(((best.with - best.without) / best.without) * 100).toFixed(1)}% more time)\n`,
    )
  } finally {
    await t.destroy()
  }
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'seed') {
  await seed(Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000_000))
} else if (mode === 'trigger-cost') {
  await measureTriggerCost(Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000), 3)
} else if (mode === 'run') {
  await run(
    Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 15),
    args.find((a) => a.startsWith('--only='))?.slice(7),
  )
} else {
  process.stderr.write(
    'usage: node src/api/measure-api.ts seed [events] | run [--seconds=15] | trigger-cost [rows]\n',
  )
  process.exitCode = 2
}
