// The per-minute rollups behind /api/stats and /api/timeseries (migration 0003): whatever writes
// the event tables (the etl's fenced batches, duplicates skipped, a rolled-back transaction, late
// events, deletes, updates, truncation), the rollups equal a recount from the rows, and the
// aggregates read through them equal the same aggregates computed from the rows alone, for any
// range and bucket. On PostgreSQL and on PGlite.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../src/adapters/postgres/database.ts'
import { createEtlStore } from '../src/adapters/postgres/etl-store.ts'
import { readEventAggregates } from '../src/adapters/postgres/queries/event-aggregates.ts'
import { DATABASE_KINDS, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import {
  createApiTestDatabase,
  insertLogs,
  insertMetrics,
  insertTransactions,
} from '../src/api/api-test-kit.ts'
import type { LogEvent } from '../src/contracts/events.ts'
import { EVENT_TOPICS } from '../src/contracts/topics.ts'

const T0 = Date.parse('2025-06-01T12:00:00Z')
const MINUTE = 60_000

/** The rollups as they should be: recounted from the rows. */
const RECOUNT = `
  SELECT date_bin('1 minute', ts, timestamptz '1970-01-01Z') AS minute, 'logs' AS topic, service, partition,
    count(*)::bigint AS events, count(*) FILTER (WHERE level IN ('ERROR', 'FATAL'))::bigint AS errors,
    NULL::float8 AS cpu_sum, NULL::float8 AS cpu_max, NULL::float8 AS latency_sum, NULL::float8 AS latency_max
  FROM logs GROUP BY 1, 3, 4
  UNION ALL
  SELECT date_bin('1 minute', ts, timestamptz '1970-01-01Z'), 'metrics', service, partition, count(*), 0,
    sum(cpu), max(cpu), sum(latency_ms), max(latency_ms)
  FROM metrics GROUP BY 1, 3, 4
  UNION ALL
  SELECT date_bin('1 minute', ts, timestamptz '1970-01-01Z'), 'transactions', '', partition, count(*), 0,
    NULL, NULL, NULL, NULL
  FROM transactions GROUP BY 1, 4`

async function expectRollupsToMatchRows(db: Database): Promise<void> {
  const { rows: stored } = await db.query(
    `SELECT minute, topic, service, partition, events, errors, round(cpu_sum::numeric, 6) AS cpu_sum, cpu_max,
       round(latency_sum::numeric, 6) AS latency_sum, latency_max
     FROM event_rollups ORDER BY 1, 2, 3, 4`,
  )
  const { rows: recounted } = await db.query(
    `SELECT minute, topic, service, partition, events, errors, round(cpu_sum::numeric, 6) AS cpu_sum, cpu_max,
       round(latency_sum::numeric, 6) AS latency_sum, latency_max
     FROM (${RECOUNT}) AS r ORDER BY 1, 2, 3, 4`,
  )
  expect(stored).toEqual(recounted)
}

function aLog(i: number, tsMs: number, partition = 0): LogEvent {
  return {
    kind: 'log',
    eventId: `etl-log-${i}`,
    tsMs,
    source: { topic: 'logs', partition, offset: i },
    attributes: {},
    service: `svc-${i % 3}`,
    level: i % 4 === 0 ? 'ERROR' : 'INFO',
    message: 'm',
    userId: null,
  }
}

describe.each(DATABASE_KINDS)('event rollups on %s', (kind) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createApiTestDatabase(kind)
    // rows of every table over ten minutes from T0, for every test (each adds its own)
    await insertLogs(
      t.db,
      Array.from({ length: 60 }, (_, i) => ({
        tsMs: T0 + i * 9_500,
        service: `svc-${i % 3}`,
        level: i % 5 ? 'INFO' : 'ERROR',
      })),
    )
    await insertMetrics(
      t.db,
      Array.from({ length: 45 }, (_, i) => ({
        tsMs: T0 + i * 12_500,
        service: `svc-${i % 2}`,
        cpu: (i * 7) % 100,
        latencyMs: 50 + i,
      })),
    )
    await insertTransactions(
      t.db,
      Array.from({ length: 20 }, (_, i) => ({ tsMs: T0 + i * 31_000 })),
    )
  })
  afterAll(async () => {
    await t?.destroy()
  })

  it('follow the etl store: fenced batches, redelivered events, a batch that fails', async () => {
    const store = createEtlStore(t.db, { groupId: 'etl' })
    const batch = (from: number, count: number, expected: number | null) => ({
      logs: Array.from({ length: count }, (_, k) => aLog(from + k, T0 + (from + k) * 7_000)),
      metrics: [],
      transactions: [],
      rejections: [],
      anomalies: [],
      detectorStates: [],
      offsets: [{ topic: 'logs', partition: 0, offset: from + count, expectedOffset: expected }],
    })
    await store.commitBatch(batch(0, 40, null))
    // the same events again from an older position (a replay): stored once, counted once
    await t.db.query(`UPDATE consumer_offsets SET next_offset = 20`)
    await store.commitBatch(batch(20, 30, 20))
    // a commit that fails its fencing writes nothing, rollups included
    await expect(store.commitBatch(batch(50, 10, 999))).rejects.toThrow()
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT sum(events)::int AS n FROM event_rollups WHERE topic = 'logs' AND service LIKE 'svc-%' AND minute < $1`,
      [new Date(T0 + 60 * MINUTE)],
    )
    const { rows: stored } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM logs`)
    expect(rows[0]!.n).toBe(stored[0]!.n)
    expect(stored[0]!.n).toBe(60 + 50)
    await expectRollupsToMatchRows(t.db)
  })

  it('follow direct writes, late events, deletes, updates, and truncation', async () => {
    await insertMetrics(
      t.db,
      Array.from({ length: 30 }, (_, i) => ({
        tsMs: T0 + i * 13_000,
        service: `svc-${i % 2}`,
        cpu: i * 3.3,
        latencyMs: 100 + i,
      })),
    )
    await insertTransactions(
      t.db,
      Array.from({ length: 12 }, (_, i) => ({ tsMs: T0 + i * 29_000 })),
    )
    // a late event into an old minute, a transaction rolled back
    await insertLogs(t.db, [{ tsMs: T0 + 1_000, level: 'FATAL', service: 'svc-1' }])
    await t.db
      .transaction(async (tx) => {
        await insertLogs(tx as Database, [{ tsMs: T0 + 2_000 }])
        throw new Error('roll back')
      })
      .catch(() => {})
    await expectRollupsToMatchRows(t.db)
    await t.db.query(`DELETE FROM metrics WHERE cpu > 50`)
    await t.db.query(
      `UPDATE logs SET level = 'ERROR', ts = ts + interval '5 minutes' WHERE event_id = 'etl-log-3'`,
    )
    await t.db.query(`UPDATE metrics SET service = 'svc-9' WHERE cpu < 10`)
    await expectRollupsToMatchRows(t.db)
    await t.db.exec(`CREATE TABLE keep AS SELECT * FROM transactions; TRUNCATE transactions`)
    await expectRollupsToMatchRows(t.db)
    await t.db.exec(`INSERT INTO transactions SELECT * FROM keep; DROP TABLE keep`)
    await expectRollupsToMatchRows(t.db)
  })

  it('give the same aggregates as the rows, for any range and bucket', async () => {
    /** what readEventAggregates answers, computed from the rows alone */
    const aggregateOfRows = async (
      fromMs: number,
      toMs: number,
      bucketMs: number | null,
      service: string | null,
    ) => {
      const bin =
        bucketMs === null
          ? 'NULL::timestamptz'
          : `date_bin('${bucketMs} milliseconds', ts, timestamptz '1970-01-01Z')`
      const where = `ts >= $1::timestamptz AND ts < $2::timestamptz${service ? ' AND service = $3' : ''}`
      const params: unknown[] = [new Date(fromMs).toISOString(), new Date(toMs).toISOString()]
      if (service) params.push(service)
      const parts = [
        `SELECT ${bin} AS t, 'logs' AS topic, service, count(*) AS events,
           count(*) FILTER (WHERE level IN ('ERROR', 'FATAL')) AS errors, NULL::float8 AS cpu_sum,
           NULL::float8 AS cpu_max, NULL::float8 AS latency_sum, NULL::float8 AS latency_max
         FROM logs WHERE ${where} GROUP BY 1, 3`,
        `SELECT ${bin}, 'metrics', service, count(*), 0, sum(cpu), max(cpu), sum(latency_ms), max(latency_ms)
         FROM metrics WHERE ${where} GROUP BY 1, 3`,
      ]
      if (!service) {
        parts.push(`SELECT ${bin}, 'transactions', '', count(*), 0, NULL::float8, NULL::float8, NULL::float8,
          NULL::float8 FROM transactions WHERE ${where} GROUP BY 1`)
      }
      const group = bucketMs === null ? 'topic, service' : 't'
      const { rows } = await t.db.query(
        `SELECT ${bucketMs === null ? 'NULL::timestamptz AS t, topic, service' : 't, NULL AS topic, NULL AS service'},
           sum(events)::bigint AS events, sum(errors)::bigint AS errors, sum(cpu_sum)::float8 AS cpu_sum,
           max(cpu_max)::float8 AS cpu_max, sum(latency_sum)::float8 AS latency_sum,
           max(latency_max)::float8 AS latency_max
         FROM (${parts.join(' UNION ALL ')}) AS p GROUP BY ${group} ORDER BY ${group}`,
        params,
      )
      return rows
    }
    // sums of doubles added in another order differ in the last bits
    const rounded = (value: unknown) => (typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value)
    const round = (rows: Array<Record<string, unknown>>) =>
      rows.map((r) => ({ ...r, cpu_sum: rounded(r['cpu_sum']), latency_sum: rounded(r['latency_sum']) }))

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -2 * MINUTE, max: 8 * MINUTE }),
        fc.integer({ min: 1, max: 10 * MINUTE }),
        fc.constantFrom(null, 1_000, 15_000, MINUTE, 2 * MINUTE, 5 * MINUTE, 90_000),
        fc.constantFrom(null, 'svc-0', 'svc-1'),
        async (fromOffset, length, bucketMs, service) => {
          const fromMs = T0 + fromOffset
          const toMs = fromMs + length
          const viaRollups = await readEventAggregates(t.db, {
            fromMs,
            toMs,
            topics: EVENT_TOPICS,
            service,
            bucketMs,
          })
          expect(round(viaRollups as never)).toEqual(
            round(await aggregateOfRows(fromMs, toMs, bucketMs, service)),
          )
        },
      ),
      { numRuns: kind === 'pglite' ? 25 : 60 },
    )
  })
})
