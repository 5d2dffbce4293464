// "Every anomaly notified exactly once, except the documented in-flight case" (docs/alerting.md),
// checked id by id against what the receiver accepted, and the outbox drained.
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'
import type { Queryable } from '../../../src/adapters/postgres/database.ts'
import type { CommandProcess } from '../../support/processes.ts'
import type { FaultyRequest } from './faulty-receiver.ts'
import { expectAlive } from './load-run.ts'

/** Anomalies with a notification still to send (firing, or a resolution), as the alerter claims them. */
export async function countUnnotified(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM anomalies WHERE silenced_by IS NULL
       AND (notified_at IS NULL OR (status = 'resolved' AND resolved_notified_at IS NULL))`,
  )
  return Number(rows[0]!.n)
}

export async function waitForOutboxDrained(
  db: Queryable,
  timeoutMs: number,
  watch: () => CommandProcess[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const p of watch()) expectAlive(p, 'a process')
    const left = await countUnnotified(db)
    if (left === 0) return
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: ${left} anomalies unnotified`)
    await sleep(1_000)
  }
}

export interface NotificationFigures {
  /** requests the receiver got, and those it accepted */
  attempts: number
  delivered: number
  /** delivered messages that may have been in flight at a kill (the last accepted before it) */
  inFlightAtKill: number
  /** delivered messages whose client left before the answer (died, or timed out) */
  abandoned: number
  /** ids delivered more than once (each excused by a message above) */
  repeatedIds: number
}

/**
 * Each anomaly in exactly one accepted firing message, and each resolution in at most one
 * resolved message, except where an excused message (in flight at a kill, or accepted after its
 * client had gone) explains the repeat: an id may arrive once more per excused message holding it.
 * `killsAtMs`: when each alerter was sent SIGKILL; a request completing within `graceMs` after it
 * was already sent by the dead process (a restarted one takes longer than that to boot).
 */
export function checkNotifiedOnce(
  requests: readonly FaultyRequest[],
  anomalies: ReadonlyArray<{ id: string; status: string }>,
  killsAtMs: readonly number[],
  graceMs = 500,
): NotificationFigures {
  expect(
    requests.filter((r) => r.problems.length > 0).map((r) => r.problems),
    'messages beyond Block Kit limits',
  ).toEqual([])
  const delivered = requests.filter((r) => r.delivered)
  const inFlight = new Set<FaultyRequest>()
  for (const killMs of killsAtMs) {
    const last = delivered.filter((r) => r.atMs <= killMs + graceMs).at(-1)
    if (last) inFlight.add(last)
  }
  const abandoned = delivered.filter((r) => r.abandoned)
  const excused = new Set([...inFlight, ...abandoned])

  const tally = (pick: (r: FaultyRequest) => string[]) => {
    const counts = new Map<string, { sent: number; excused: number }>()
    for (const r of delivered) {
      for (const id of pick(r)) {
        const c = counts.get(id) ?? { sent: 0, excused: 0 }
        c.sent += 1
        if (excused.has(r)) c.excused += 1
        counts.set(id, c)
      }
    }
    return counts
  }
  const firing = tally((r) => r.firingIds)
  const resolved = tally((r) => r.resolvedIds)

  const ids = anomalies.map((a) => a.id).sort()
  expect([...firing.keys()].sort(), 'ids in firing messages = the anomalies stored').toEqual(ids)
  const resolvedIds = new Set(anomalies.filter((a) => a.status === 'resolved').map((a) => a.id))
  expect(
    [...resolved.keys()].filter((id) => !resolvedIds.has(id)),
    'resolved messages for anomalies not resolved',
  ).toEqual([])
  const unexplained = [...firing, ...resolved].filter(([, c]) => c.sent - 1 > c.excused)
  expect(unexplained.slice(0, 10), 'ids sent more often than a kill or a timeout explains').toEqual([])

  return {
    attempts: requests.length,
    delivered: delivered.length,
    inFlightAtKill: inFlight.size,
    abandoned: abandoned.length,
    repeatedIds: [...firing, ...resolved].filter(([, c]) => c.sent > 1).length,
  }
}
