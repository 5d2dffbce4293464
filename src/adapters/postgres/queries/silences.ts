// Silences: while one is active, the alerter sends nothing for the anomalies it matches (a null
// rule or key matches any). Removing a silence expires it now: the row stays, because anomalies
// name the silence that muted them (anomalies.silenced_by).
import { randomUUID } from 'node:crypto'
import type { Silence } from '../../../contracts/api.ts'
import type { Queryable } from '../database.ts'

export type SilenceState = 'active' | 'expired' | 'all'

interface SilenceRow {
  id: string
  rule: string | null
  key: string | null
  expires_at: Date
  comment: string
  created_by: string
  created_at: Date
  active: boolean
}

const COLUMNS = 'id, rule, key, expires_at, comment, created_by, created_at, expires_at > now() AS active'

function toSilence(row: SilenceRow): Silence {
  return {
    id: row.id,
    rule: row.rule,
    key: row.key,
    expires_at: row.expires_at.toISOString(),
    comment: row.comment,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    active: row.active,
  }
}

/** Newest first, at most `limit`. */
export async function listSilences(db: Queryable, state: SilenceState, limit: number): Promise<Silence[]> {
  const where =
    state === 'active' ? 'expires_at > now()' : state === 'expired' ? 'expires_at <= now()' : 'true'
  const { rows } = await db.query<SilenceRow>(
    `SELECT ${COLUMNS} FROM silences WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit],
  )
  return rows.map(toSilence)
}

export interface NewSilence {
  rule: string | null
  key: string | null
  expiresAtMs: number
  comment: string
  createdBy: string
}

export async function createSilence(db: Queryable, silence: NewSilence): Promise<Silence> {
  const { rows } = await db.query<SilenceRow>(
    `INSERT INTO silences (id, rule, key, expires_at, comment, created_by)
     VALUES ($1, $2, $3, $4::timestamptz, $5, $6) RETURNING ${COLUMNS}`,
    [
      randomUUID(),
      silence.rule,
      silence.key,
      new Date(silence.expiresAtMs).toISOString(),
      silence.comment,
      silence.createdBy,
    ],
  )
  return toSilence(rows[0]!)
}

/** Ends the silence now (a silence already expired keeps its time). False when there is no such id. */
export async function expireSilence(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE silences SET expires_at = least(expires_at, now()) WHERE id = $1 RETURNING id`,
    [id],
  )
  return rows.length > 0
}
