// The seeded data set of the API's integration tests: a few of each kind of row, at known times
// relative to `nowMs`, with the edge cases the tests look for (equal timestamps, LIKE wildcards in
// messages, a row outside the default range, episodes of each status).
import type { Queryable } from '../adapters/postgres/database.ts'
import { insertAnomaly, insertLogs, insertMetrics, insertTransactions, iso } from './api-test-kit.ts'

export const MINUTE = 60_000
export const SERVICES = ['checkout', 'search', 'auth'] as const

export interface Seeded {
  nowMs: number
  logIds: string[]
  metricIds: string[]
  transactionIds: string[]
  anomalies: { open: string; resolved: string; acknowledged: string; old: string; large: string }
}

export async function seedApiData(db: Queryable, nowMs: number): Promise<Seeded> {
  const logs = Array.from({ length: 30 }, (_, i) => ({
    id: `log-${String(i).padStart(2, '0')}`,
    tsMs: nowMs - i * MINUTE - 500,
    service: SERVICES[i % 3]!,
    level: i % 5 === 0 ? 'ERROR' : i % 7 === 0 ? 'WARN' : 'INFO',
    message:
      i === 3
        ? '100% done'
        : i === 4
          ? 'under_score here'
          : i === 6
            ? 'payment DECLINED for order 42'
            : `request ${i} served`,
    userId: i % 4 === 0 ? 'u-7' : null,
  }))
  // three rows with one timestamp: pages must break the tie by id
  const tied = nowMs - 12 * MINUTE - 250
  logs.push(
    { id: 'tie-a', tsMs: tied, service: 'checkout', level: 'INFO', message: 'tie', userId: null },
    { id: 'tie-b', tsMs: tied, service: 'checkout', level: 'INFO', message: 'tie', userId: null },
    { id: 'tie-c', tsMs: tied, service: 'checkout', level: 'INFO', message: 'tie', userId: null },
    // the logs of the resolved error_burst episode (search, 50 to 45 minutes ago)
    {
      id: 'burst-1',
      tsMs: nowMs - 48 * MINUTE,
      service: 'search',
      level: 'ERROR',
      message: 'timeout',
      userId: null,
    },
    {
      id: 'burst-2',
      tsMs: nowMs - 47 * MINUTE,
      service: 'search',
      level: 'INFO',
      message: 'retrying',
      userId: null,
    },
    // outside the default range (-1h)
    {
      id: 'log-old',
      tsMs: nowMs - 2 * 60 * MINUTE,
      service: 'checkout',
      level: 'ERROR',
      message: 'old',
      userId: null,
    },
  )
  const logIds = await insertLogs(db, logs)

  const metricIds = await insertMetrics(
    db,
    Array.from({ length: 20 }, (_, i) => ({
      id: `metric-${String(i).padStart(2, '0')}`,
      tsMs: nowMs - i * MINUTE - 1_000,
      service: SERVICES[i % 2]!,
      cpu: 20 + i * 4,
      latencyMs: 100 + i * 25,
    })),
  )

  const transactionIds = await insertTransactions(
    db,
    Array.from({ length: 15 }, (_, i) => ({
      id: `tx-${String(i).padStart(2, '0')}`,
      tsMs: nowMs - i * 2 * MINUTE - 2_000,
      transactionId: `t-${i}`,
      userId: `u-${i % 3}`,
      amount: i === 5 ? 12_000.5 : 10 + i,
      currency: i % 2 ? 'EUR' : 'USD',
      status: i % 4 === 0 ? 'declined' : 'approved',
    })),
  )

  const anomalies = {
    open: await insertAnomaly(db, {
      id: 'an-open',
      rule: 'high_cpu',
      key: 'checkout',
      topic: 'metrics',
      status: 'open',
      firstSeenMs: nowMs - 10 * MINUTE,
      lastSeenMs: nowMs - 2 * MINUTE,
    }),
    resolved: await insertAnomaly(db, {
      id: 'an-resolved',
      rule: 'error_burst',
      key: 'search',
      topic: 'logs',
      status: 'resolved',
      severity: 'critical',
      firstSeenMs: nowMs - 50 * MINUTE,
      lastSeenMs: nowMs - 45 * MINUTE,
      windowMs: 60_000,
      value: 25,
      threshold: 20,
    }),
    acknowledged: await insertAnomaly(db, {
      id: 'an-ack',
      rule: 'high_latency',
      key: 'search',
      topic: 'metrics',
      status: 'acknowledged',
      firstSeenMs: nowMs - 30 * MINUTE,
      lastSeenMs: nowMs - 29 * MINUTE,
    }),
    old: await insertAnomaly(db, {
      id: 'an-old',
      rule: 'high_cpu',
      key: 'auth',
      topic: 'metrics',
      status: 'resolved',
      firstSeenMs: nowMs - 3 * 24 * 60 * MINUTE,
      lastSeenMs: nowMs - 3 * 24 * 60 * MINUTE + MINUTE,
    }),
    large: await insertAnomaly(db, {
      id: 'an-large',
      rule: 'large_transaction',
      key: 't-5',
      topic: 'transactions',
      status: 'resolved',
      firstSeenMs: nowMs - 10 * MINUTE - 2_000,
      value: 12_000.5,
      threshold: 10_000,
    }),
  }

  await db.query(
    `INSERT INTO dead_letters (topic, partition, "offset", expected_kind, reason, message, raw, received_at)
     VALUES ('logs', 0, 1, 'log', 'invalid_json', 'value: not valid JSON', $1, $2::timestamptz),
            ('metrics', 1, 7, 'metric', 'out_of_range', 'cpu: 120 is outside 0..100', NULL, $2::timestamptz),
            ('metrics', 1, 8, 'metric', 'out_of_range', 'cpu: 130 is outside 0..100', NULL, $2::timestamptz)`,
    [new Uint8Array([123, 110]), iso(nowMs - 5 * MINUTE)],
  )
  await db.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)
     VALUES ('etl', 'logs', 0, 100, $1::timestamptz), ('etl', 'metrics', 0, 50, $2::timestamptz)`,
    [iso(nowMs - 5_000), iso(nowMs - 3_000)],
  )
  return { nowMs, logIds, metricIds, transactionIds, anomalies }
}
