// The alerter's store: the `anomalies` table as an outbox, claimed with leases so that two alerter
// processes never send the same anomaly (FOR UPDATE SKIP LOCKED picks, a lease keeps), the active
// silences, and each webhook's rate-limit state, shared by every alerter process.
//
// Who owns what on an anomaly row: the alerter writes notified_at, resolved_notified_at,
// silenced_by, notify_claimed_by/_until and notify_error, and nothing else (see upsert-anomalies.ts).
// Times in SQL are the database's clock, so processes on machines with different clocks agree.
import type { AlertAnomaly, GateState, PendingNotification, Silence } from '../../core/alerting/index.ts'
import type { Database } from './database.ts'
import { ANOMALIES_CHANNEL } from './etl-store.ts'

export interface AlertStore {
  /**
   * Claims up to `limit` firing and up to `limit` resolved notifications that are pending, not
   * silenced, and not claimed by a live lease, for `leaseMs` (oldest first). Pending firing: never
   * notified. Pending resolved: notified firing, resolved since, resolution not yet notified.
   */
  claimPending(owner: string, options: { limit: number; leaseMs: number }): Promise<PendingNotification[]>
  /** Extends the lease of those of `ids` still claimed by `owner`; resolves to those ids. */
  renewClaims(owner: string, ids: readonly string[], leaseMs: number): Promise<Set<string>>
  /**
   * Records a delivered message (Slack answered 2xx): firing -> notified_at (and
   * resolved_notified_at for `alsoResolvedIds`); resolved -> resolved_notified_at. Releases the
   * claims. Whoever holds the claim now, a delivered message is recorded: it was sent. Resolves to
   * the ids this marked; an id missing was marked by someone else (it was sent twice).
   */
  markDelivered(delivery: {
    kind: 'firing' | 'resolved'
    anomalyIds: readonly string[]
    alsoResolvedIds: readonly string[]
  }): Promise<string[]>
  /** Marks claimed anomalies as muted by a silence: they are not sent (nor their resolution). */
  markSilenced(owner: string, silenced: ReadonlyArray<{ id: string; silenceId: string }>): Promise<void>
  /**
   * Gives up the claims of a message Slack refused: nobody may claim them for `retryAfterMs`, and
   * `reason` is kept in notify_error. They stay pending.
   */
  setAside(owner: string, ids: readonly string[], retryAfterMs: number, reason: string): Promise<void>
  /** Gives up claims (all of `owner`'s when `ids` is omitted): claimable at once by anyone. */
  releaseClaims(owner: string, ids?: readonly string[]): Promise<void>
  /** Silences from the `silences` table that have not expired. */
  activeSilences(): Promise<Silence[]>
  /**
   * Reads and updates one webhook's rate-limit state atomically (a row lock), so concurrent
   * alerters take turns. `decide` gets the state (undefined: fresh) and the database's time.
   */
  updateGate<T>(
    gate: string,
    decide: (state: GateState | undefined, nowMs: number) => { state: GateState; result: T },
  ): Promise<T>
  /** Pending counts, for health and tests: firing, resolved, set aside (claimed by nobody until later). */
  countPending(): Promise<{ firing: number; resolved: number; setAside: number }>
  /** Calls `onChange` when the etl commits anomaly changes, and after a reconnect (when some may have been missed). */
  onChange(onChange: () => void): Promise<() => Promise<void>>
}

interface AnomalyRow {
  id: string
  rule: string
  key: string
  topic: string
  status: string
  severity: string
  first_seen_ms: number
  last_seen_ms: number
  resolved_at_ms: number | null
  value: number
  threshold: number
  comparator: string
  event_count: number
  window_ms: number | null
  details: Record<string, unknown> | null
  notified_at_ms: number | null
}

const ms = (column: string, as: string) => `extract(epoch FROM ${column}) * 1000 AS ${as}`

const CLAIM_SQL = `
WITH firing AS (
  SELECT id FROM anomalies
  WHERE notified_at IS NULL AND silenced_by IS NULL
    AND (notify_claimed_until IS NULL OR notify_claimed_until <= now())
  ORDER BY created_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), resolved AS (
  SELECT id FROM anomalies
  WHERE status = 'resolved' AND resolved_notified_at IS NULL AND notified_at IS NOT NULL
    AND silenced_by IS NULL
    AND (notify_claimed_until IS NULL OR notify_claimed_until <= now())
  ORDER BY resolved_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
UPDATE anomalies a
SET notify_claimed_by = $2, notify_claimed_until = now() + $3 * interval '1 millisecond'
WHERE a.id IN (SELECT id FROM firing UNION ALL SELECT id FROM resolved)
RETURNING a.id, a.rule, a.key, a.topic, a.status, a.severity, ${ms('a.first_seen', 'first_seen_ms')},
  ${ms('a.last_seen', 'last_seen_ms')}, ${ms('a.resolved_at', 'resolved_at_ms')}, a.value, a.threshold,
  a.comparator, a.event_count, a.window_ms, a.details, ${ms('a.notified_at', 'notified_at_ms')}`

export function createAlertStore(db: Database): AlertStore {
  return {
    async claimPending(owner, { limit, leaseMs }) {
      const { rows } = await db.query<AnomalyRow>(CLAIM_SQL, [limit, owner, leaseMs])
      return rows.map((row) => ({
        kind: row.notified_at_ms === null ? ('firing' as const) : ('resolved' as const),
        anomaly: toAnomaly(row),
      }))
    },

    async renewClaims(owner, ids, leaseMs) {
      if (ids.length === 0) return new Set()
      const { rows } = await db.query<{ id: string }>(
        `UPDATE anomalies SET notify_claimed_until = now() + $3 * interval '1 millisecond'
         WHERE id = ANY($1::text[]) AND notify_claimed_by = $2
         RETURNING id`,
        [ids, owner, leaseMs],
      )
      return new Set(rows.map((r) => r.id))
    },

    async markDelivered({ kind, anomalyIds, alsoResolvedIds }) {
      if (anomalyIds.length === 0) return []
      const { rows } =
        kind === 'firing'
          ? await db.query<{ id: string }>(
              `UPDATE anomalies SET notified_at = now(),
                 resolved_notified_at = CASE WHEN id = ANY($2::text[]) THEN now() ELSE resolved_notified_at END,
                 notify_claimed_by = NULL, notify_claimed_until = NULL, notify_error = NULL
               WHERE id = ANY($1::text[]) AND notified_at IS NULL
               RETURNING id`,
              [anomalyIds, alsoResolvedIds],
            )
          : await db.query<{ id: string }>(
              `UPDATE anomalies SET resolved_notified_at = now(),
                 notify_claimed_by = NULL, notify_claimed_until = NULL, notify_error = NULL
               WHERE id = ANY($1::text[]) AND resolved_notified_at IS NULL
               RETURNING id`,
              [anomalyIds],
            )
      return rows.map((r) => r.id)
    },

    async markSilenced(owner, silenced) {
      if (silenced.length === 0) return
      await db.query(
        `UPDATE anomalies a SET silenced_by = s.silence_id, notify_claimed_by = NULL, notify_claimed_until = NULL
         FROM unnest($1::text[], $2::text[]) AS s(id, silence_id)
         WHERE a.id = s.id AND a.notify_claimed_by = $3`,
        [silenced.map((s) => s.id), silenced.map((s) => s.silenceId), owner],
      )
    },

    async setAside(owner, ids, retryAfterMs, reason) {
      if (ids.length === 0) return
      await db.query(
        `UPDATE anomalies SET notify_claimed_by = NULL,
           notify_claimed_until = now() + $3 * interval '1 millisecond', notify_error = $4
         WHERE id = ANY($1::text[]) AND notify_claimed_by = $2`,
        [ids, owner, retryAfterMs, reason],
      )
    },

    async releaseClaims(owner, ids) {
      if (ids && ids.length === 0) return
      await db.query(
        `UPDATE anomalies SET notify_claimed_by = NULL, notify_claimed_until = NULL
         WHERE notify_claimed_by = $1 ${ids ? 'AND id = ANY($2::text[])' : ''}`,
        ids ? [owner, ids] : [owner],
      )
    },

    async activeSilences() {
      const { rows } = await db.query<{
        id: string
        rule: string | null
        key: string | null
        expires_ms: number
        comment: string
        created_by: string
      }>(
        `SELECT id, rule, key, ${ms('expires_at', 'expires_ms')}, comment, created_by
         FROM silences WHERE expires_at > now() ORDER BY created_at, id`,
      )
      return rows.map((r) => ({
        id: r.id,
        rule: r.rule,
        key: r.key,
        expiresAtMs: Number(r.expires_ms),
        comment: r.comment,
        createdBy: r.created_by,
      }))
    },

    async updateGate(gate, decide) {
      return db.transaction(async (tx) => {
        await tx.query('INSERT INTO notification_gates (gate) VALUES ($1) ON CONFLICT (gate) DO NOTHING', [
          gate,
        ])
        const { rows } = await tx.query<{
          tokens: number | null
          refilled_ms: number | null
          paused_ms: number | null
        }>(
          `SELECT tokens, ${ms('refilled_at', 'refilled_ms')}, ${ms('paused_until', 'paused_ms')}
           FROM notification_gates WHERE gate = $1 FOR UPDATE`,
          [gate],
        )
        // the time after the lock was granted: a process that waited for it decides with the present
        const { rows: clock } = await tx.query<{ now_ms: number }>(
          `SELECT ${ms('clock_timestamp()', 'now_ms')}`,
        )
        const row = rows[0]!
        const current: GateState | undefined =
          row.tokens === null || row.refilled_ms === null
            ? undefined
            : {
                tokens: row.tokens,
                refilledAtMs: Number(row.refilled_ms),
                pausedUntilMs: Number(row.paused_ms ?? 0),
              }
        const { state, result } = decide(current, Number(clock[0]!.now_ms))
        await tx.query(
          `UPDATE notification_gates SET tokens = $2, refilled_at = to_timestamp($3 / 1000.0),
             paused_until = CASE WHEN $4::float8 > 0 THEN to_timestamp($4 / 1000.0) END
           WHERE gate = $1`,
          [gate, state.tokens, state.refilledAtMs, state.pausedUntilMs],
        )
        return result
      })
    },

    async countPending() {
      const { rows } = await db.query<{ firing: number; resolved: number; set_aside: number }>(
        `SELECT
           count(*) FILTER (WHERE notified_at IS NULL) AS firing,
           count(*) FILTER (WHERE notified_at IS NOT NULL) AS resolved,
           count(*) FILTER (WHERE notify_claimed_by IS NULL AND notify_claimed_until > now()) AS set_aside
         FROM anomalies
         WHERE silenced_by IS NULL AND (notified_at IS NULL
           OR (status = 'resolved' AND resolved_notified_at IS NULL))`,
      )
      const r = rows[0]!
      return { firing: Number(r.firing), resolved: Number(r.resolved), setAside: Number(r.set_aside) }
    },

    onChange(onChange) {
      return db.listen(ANOMALIES_CHANNEL, () => onChange())
    },
  }
}

function toAnomaly(row: AnomalyRow): AlertAnomaly {
  return {
    id: row.id,
    rule: row.rule,
    key: row.key,
    topic: row.topic,
    status: row.status,
    severity: row.severity,
    firstSeenMs: Number(row.first_seen_ms),
    lastSeenMs: Number(row.last_seen_ms),
    resolvedAtMs: row.resolved_at_ms === null ? null : Number(row.resolved_at_ms),
    value: row.value,
    threshold: row.threshold,
    comparator: row.comparator,
    eventCount: Number(row.event_count),
    windowMs: row.window_ms === null ? null : Number(row.window_ms),
    details: row.details ?? {},
    notifiedAtMs: row.notified_at_ms === null ? null : Number(row.notified_at_ms),
  }
}
