// For the etl's tests: read back what the etl stored, and compare it with the generator's manifest.
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'
import type { Queryable } from '../adapters/postgres/database.ts'
import type { GenerationManifest } from '../core/generate/event-stream.ts'

export interface StoredAnomaly {
  id: string
  rule: string
  key: string
  firstSeenMs: number
  lastSeenMs: number
  value: number
}

export interface StoredTables {
  logs: number
  metrics: number
  transactions: number
  /** logs + metrics + transactions */
  rows: number
  deadLetters: number
  /** sorted by (first_seen, rule, key) */
  anomalies: StoredAnomaly[]
}

export async function readTables(db: Queryable): Promise<StoredTables> {
  const { rows: counts } = await db.query<{
    logs: string
    metrics: string
    transactions: string
    dead: string
  }>(
    `SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM metrics) AS metrics,
            (SELECT count(*) FROM transactions) AS transactions, (SELECT count(*) FROM dead_letters) AS dead`,
  )
  const { rows: anomalies } = await db.query<{
    id: string
    rule: string
    key: string
    first_ms: string
    last_ms: string
    value: number
  }>(
    `SELECT id::text, rule, key, (extract(epoch FROM first_seen) * 1000)::bigint AS first_ms,
            (extract(epoch FROM last_seen) * 1000)::bigint AS last_ms, value
     FROM anomalies ORDER BY first_seen, rule, key`,
  )
  const c = counts[0]!
  const logs = Number(c.logs)
  const metrics = Number(c.metrics)
  const transactions = Number(c.transactions)
  return {
    logs,
    metrics,
    transactions,
    rows: logs + metrics + transactions,
    deadLetters: Number(c.dead),
    anomalies: anomalies.map((a) => ({
      id: a.id,
      rule: a.rule,
      key: a.key,
      firstSeenMs: Number(a.first_ms),
      lastSeenMs: Number(a.last_ms),
      value: a.value,
    })),
  }
}

/** Rows per table == valid events produced; dead letters == malformed produced; anomalies == the manifest's. */
export async function expectTablesToMatchManifest(
  db: Queryable,
  manifest: GenerationManifest,
): Promise<void> {
  const tables = await readTables(db)
  const malformed = Object.values(manifest.malformed).reduce((sum, n) => sum + (n ?? 0), 0)
  expect(tables.deadLetters).toBe(malformed)
  expect(tables.rows).toBe(manifest.events - malformed)
  const expected = manifest.anomalies
    .map((a) => ({
      rule: a.rule,
      key: a.key,
      firstSeenMs: a.firstSeenMs,
      lastSeenMs: a.lastSeenMs,
      value: a.peak,
    }))
    .sort(byFirstSeen)
  const stored = tables.anomalies
    .map(({ rule, key, firstSeenMs, lastSeenMs, value }) => ({ rule, key, firstSeenMs, lastSeenMs, value }))
    .sort(byFirstSeen)
  expect(stored).toEqual(expected)
}

function byFirstSeen(a: { firstSeenMs: number; rule: string; key: string }, b: typeof a): number {
  return a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key)
}

/** Polls `condition` until it holds; fails the test with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}
