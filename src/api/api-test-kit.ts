// For the API's tests: a migrated database of either kind, rows inserted directly (with exactly
// the times and values a test needs), and an app built for inject() with responses checked
// against the contract.
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import type { DatabaseKind, Queryable } from '../adapters/postgres/database.ts'
import { migrate } from '../adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../adapters/postgres/test-database.ts'
import { createMetrics } from '../observability/metrics.ts'
import type { ApiInstance } from './api-context.ts'
import { type BuildAppOptions, buildApp } from './build-app.ts'

export const TEST_TOKEN = 'test-token-0123456789'
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` }

export async function createApiTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const t = await createTestDatabase(kind)
  await migrate(t.db)
  return t
}

export async function buildTestApp(
  db: BuildAppOptions['db'],
  options: Partial<BuildAppOptions> = {},
): Promise<ApiInstance> {
  const app = await buildApp({
    db,
    token: TEST_TOKEN,
    rateLimitPerMinute: 0,
    validateResponses: true,
    metrics: createMetrics({ defaultMetrics: false }),
    ...options,
  })
  await app.ready()
  return app
}

/** GET with the token; the JSON body and status. */
export async function getJson<T = Record<string, unknown>>(
  app: ApiInstance,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await app.inject({ method: 'GET', url, headers: { ...AUTH, ...headers } })
  return { status: response.statusCode, body: response.json() as T }
}

/** A 400 whose message names `param`. */
export async function expectBadRequest(app: ApiInstance, url: string, param: string): Promise<string> {
  const { status, body } = await getJson<{ error: string; message: string }>(app, url)
  expect({ url, status, error: body.error }).toEqual({ url, status: 400, error: 'bad_request' })
  expect(body.message).toContain(param)
  expect(Object.keys(body).sort()).toEqual(['error', 'message'])
  return body.message
}

export const iso = (ms: number) => new Date(ms).toISOString()

export interface LogSeed {
  id?: string
  tsMs: number
  service?: string
  level?: string
  message?: string
  userId?: string | null
}

export async function insertLogs(db: Queryable, logs: readonly LogSeed[]): Promise<string[]> {
  const rows = logs.map((l) => ({
    event_id: l.id ?? randomUUID(),
    ts: iso(l.tsMs),
    service: l.service ?? 'checkout',
    level: l.level ?? 'INFO',
    message: l.message ?? 'request served',
    user_id: l.userId ?? null,
  }))
  await db.query(
    `INSERT INTO logs (event_id, ts, service, level, message, user_id, topic, partition, "offset")
     SELECT event_id, ts, service, level, message, user_id, 'logs', 0, 0
     FROM json_to_recordset($1::json) AS r(event_id text, ts timestamptz, service text, level text, message text, user_id text)`,
    [JSON.stringify(rows)],
  )
  return rows.map((r) => r.event_id)
}

export interface MetricSeed {
  id?: string
  tsMs: number
  service?: string
  cpu?: number
  latencyMs?: number
}

export async function insertMetrics(db: Queryable, metrics: readonly MetricSeed[]): Promise<string[]> {
  const rows = metrics.map((m) => ({
    event_id: m.id ?? randomUUID(),
    ts: iso(m.tsMs),
    service: m.service ?? 'checkout',
    cpu: m.cpu ?? 40,
    latency_ms: m.latencyMs ?? 120,
  }))
  await db.query(
    `INSERT INTO metrics (event_id, ts, service, cpu, latency_ms, topic, partition, "offset")
     SELECT event_id, ts, service, cpu, latency_ms, 'metrics', 0, 0
     FROM json_to_recordset($1::json) AS r(event_id text, ts timestamptz, service text, cpu float8, latency_ms float8)`,
    [JSON.stringify(rows)],
  )
  return rows.map((r) => r.event_id)
}

export interface TransactionSeed {
  id?: string
  tsMs: number
  transactionId?: string
  userId?: string
  amount?: number
  currency?: string
  status?: string | null
}

export async function insertTransactions(db: Queryable, txs: readonly TransactionSeed[]): Promise<string[]> {
  const rows = txs.map((t) => ({
    event_id: t.id ?? randomUUID(),
    ts: iso(t.tsMs),
    transaction_id: t.transactionId ?? randomUUID(),
    user_id: t.userId ?? 'u1',
    amount: t.amount ?? 25,
    currency: t.currency ?? 'USD',
    status: t.status === undefined ? 'approved' : t.status,
  }))
  await db.query(
    `INSERT INTO transactions (event_id, ts, transaction_id, user_id, amount, currency, status, topic, partition, "offset")
     SELECT event_id, ts, transaction_id, user_id, amount, currency, status, 'transactions', 0, 0
     FROM json_to_recordset($1::json)
       AS r(event_id text, ts timestamptz, transaction_id text, user_id text, amount numeric, currency text, status text)`,
    [JSON.stringify(rows)],
  )
  return rows.map((r) => r.event_id)
}

export interface AnomalySeed {
  id?: string
  rule?: string
  key?: string
  topic?: string
  status?: 'open' | 'resolved' | 'acknowledged'
  severity?: string
  firstSeenMs: number
  lastSeenMs?: number
  value?: number
  threshold?: number
  windowMs?: number | null
}

export async function insertAnomaly(db: Queryable, a: AnomalySeed): Promise<string> {
  const id = a.id ?? randomUUID()
  const lastSeenMs = a.lastSeenMs ?? a.firstSeenMs
  await db.query(
    `INSERT INTO anomalies (id, rule, key, topic, status, severity, first_seen, last_seen, resolved_at, value,
       threshold, comparator, event_count, window_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz,
       CASE WHEN $5 = 'resolved' THEN $8::timestamptz + interval '5 minutes' END, $9, $10, '>', 1, $11)`,
    [
      id,
      a.rule ?? 'high_cpu',
      a.key ?? 'checkout',
      a.topic ?? 'metrics',
      a.status ?? 'open',
      a.severity ?? 'warning',
      iso(a.firstSeenMs),
      iso(lastSeenMs),
      a.value ?? 97,
      a.threshold ?? 85,
      a.windowMs ?? null,
    ],
  )
  return id
}
