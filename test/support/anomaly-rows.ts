// Anomaly rows for the alerter's tests, written as the etl writes them (its upsert, and a NOTIFY
// on the anomalies channel in the same transaction), without running the etl.
import { randomUUID } from 'node:crypto'
import type { Database } from '../../src/adapters/postgres/database.ts'
import { ANOMALIES_CHANNEL } from '../../src/adapters/postgres/etl-store.ts'
import { type AnomalyInput, upsertAnomalies } from '../../src/adapters/postgres/upsert-anomalies.ts'

export function anAnomalyRow(fields: Partial<AnomalyInput> = {}): AnomalyInput {
  const nowMs = Date.now()
  return {
    id: randomUUID(),
    rule: 'large_transaction',
    key: `tx-${Math.floor(Math.random() * 1e9)}`,
    topic: 'transactions',
    status: 'open',
    severity: 'warning',
    firstSeenMs: nowMs,
    lastSeenMs: nowMs,
    value: 10_000 + Math.round(Math.random() * 90_000),
    threshold: 10_000,
    comparator: '>',
    eventCount: 1,
    ...fields,
  }
}

/** Upserts the rows in one transaction and notifies, as an etl batch does; resolves when committed. */
export async function commitAnomalies(db: Database, rows: readonly AnomalyInput[]): Promise<void> {
  await db.transaction(async (tx) => {
    await upsertAnomalies(tx, rows)
    await tx.query('SELECT pg_notify($1, $2)', [
      ANOMALIES_CHANNEL,
      JSON.stringify({ groupId: 'test', changed: rows.length }),
    ])
  })
}

/** The alerter's view of every anomaly row, for assertions. */
export async function readOutbox(db: Database): Promise<
  Array<{
    id: string
    notified: boolean
    resolvedNotified: boolean
    silencedBy: string | null
    claimedBy: string | null
    error: string | null
  }>
> {
  const { rows } = await db.query<{
    id: string
    notified: boolean
    resolved_notified: boolean
    silenced_by: string | null
    notify_claimed_by: string | null
    notify_error: string | null
  }>(
    `SELECT id, notified_at IS NOT NULL AS notified, resolved_notified_at IS NOT NULL AS resolved_notified,
       silenced_by, notify_claimed_by, notify_error FROM anomalies ORDER BY created_at, id`,
  )
  return rows.map((r) => ({
    id: r.id,
    notified: r.notified,
    resolvedNotified: r.resolved_notified,
    silencedBy: r.silenced_by,
    claimedBy: r.notify_claimed_by,
    error: r.notify_error,
  }))
}
