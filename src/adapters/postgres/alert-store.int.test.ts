// The alert store against real PostgreSQL and PGlite: the same suite on both.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anAnomalyRow, commitAnomalies, readOutbox } from '../../../test/support/anomaly-rows.ts'
import { pauseSends, reserveSendSlot } from '../../core/alerting/index.ts'
import { type AlertStore, createAlertStore } from './alert-store.ts'
import { migrate } from './migrate.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './test-database.ts'

describe.each(DATABASE_KINDS)('alert store on %s', (kind) => {
  let t: TestDatabase
  let store: AlertStore

  beforeAll(async () => {
    t = await createTestDatabase(kind)
    await migrate(t.db)
    store = createAlertStore(t.db)
  })
  afterAll(async () => {
    await t?.destroy()
  })

  async function fresh(): Promise<void> {
    await t.db.exec('TRUNCATE anomalies, silences, notification_gates')
  }

  it('claims pending anomalies once, until the lease runs out', async () => {
    await fresh()
    const rows = [anAnomalyRow(), anAnomalyRow({ details: { message: 'x' } })]
    await commitAnomalies(t.db, rows)
    const claimed = await store.claimPending('a', { limit: 10, leaseMs: 400 })
    expect(claimed.map((c) => c.kind)).toEqual(['firing', 'firing'])
    expect(claimed.map((c) => c.anomaly.id).sort()).toEqual(rows.map((r) => r.id).sort())
    const second = claimed.find((c) => c.anomaly.id === rows[1]!.id)!.anomaly
    expect(second).toMatchObject({
      rule: 'large_transaction',
      key: rows[1]!.key,
      status: 'open',
      firstSeenMs: rows[1]!.firstSeenMs,
      value: rows[1]!.value,
      details: { message: 'x' },
      notifiedAtMs: null,
      windowMs: null,
    })
    expect(await store.claimPending('b', { limit: 10, leaseMs: 400 })).toEqual([])
    await sleep(500)
    expect(await store.claimPending('b', { limit: 10, leaseMs: 400 })).toHaveLength(2)
    // 'a' lost them: renewing says so
    expect(
      await store.renewClaims(
        'a',
        rows.map((r) => r.id),
        60_000,
      ),
    ).toEqual(new Set())
    expect(
      await store.renewClaims(
        'b',
        rows.map((r) => r.id),
        60_000,
      ),
    ).toEqual(new Set(rows.map((r) => r.id)))
  })

  it('gives concurrent claimers disjoint anomalies', async () => {
    await fresh()
    const rows = Array.from({ length: 200 }, () => anAnomalyRow())
    await commitAnomalies(t.db, rows)
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((owner) => store.claimPending(owner, { limit: 60, leaseMs: 60_000 })),
    )
    const ids = claims.flat().map((c) => c.anomaly.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(200)
  })

  it('marks a delivered firing message, then offers the resolution, then marks that', async () => {
    await fresh()
    const open = anAnomalyRow()
    const alreadyResolved = anAnomalyRow({ status: 'resolved', resolvedAtMs: Date.now() })
    await commitAnomalies(t.db, [open, alreadyResolved])
    await store.claimPending('a', { limit: 10, leaseMs: 60_000 })
    const marked = await store.markDelivered({
      kind: 'firing',
      anomalyIds: [open.id, alreadyResolved.id],
      alsoResolvedIds: [alreadyResolved.id],
    })
    expect(marked.sort()).toEqual([open.id, alreadyResolved.id].sort())
    expect(await store.claimPending('a', { limit: 10, leaseMs: 60_000 })).toEqual([])
    // marking again marks nothing: it was delivered already
    expect(await store.markDelivered({ kind: 'firing', anomalyIds: [open.id], alsoResolvedIds: [] })).toEqual(
      [],
    )

    await commitAnomalies(t.db, [{ ...open, status: 'resolved', resolvedAtMs: Date.now() }])
    const resolved = await store.claimPending('a', { limit: 10, leaseMs: 60_000 })
    expect(resolved).toHaveLength(1)
    expect(resolved[0]).toMatchObject({ kind: 'resolved', anomaly: { id: open.id, status: 'resolved' } })
    expect(resolved[0]!.anomaly.notifiedAtMs).toBeGreaterThan(Date.now() - 60_000)
    expect(
      await store.markDelivered({ kind: 'resolved', anomalyIds: [open.id], alsoResolvedIds: [] }),
    ).toEqual([open.id])
    const outbox = await readOutbox(t.db)
    expect(outbox.every((r) => r.notified && r.resolvedNotified && r.claimedBy === null)).toBe(true)
    expect(await store.countPending()).toEqual({ firing: 0, resolved: 0, setAside: 0 })
  })

  it('leaves the alerter columns alone when the etl updates a row', async () => {
    await fresh()
    const row = anAnomalyRow()
    await commitAnomalies(t.db, [row])
    await store.claimPending('a', { limit: 10, leaseMs: 60_000 })
    await commitAnomalies(t.db, [{ ...row, value: row.value + 1, lastSeenMs: row.lastSeenMs + 1_000 }])
    expect((await readOutbox(t.db))[0]).toMatchObject({ claimedBy: 'a' })
    expect(await store.renewClaims('a', [row.id], 60_000)).toEqual(new Set([row.id]))
  })

  it('keeps silenced anomalies out of the outbox, their resolution too', async () => {
    await fresh()
    const rows = [anAnomalyRow(), anAnomalyRow()]
    await commitAnomalies(t.db, rows)
    await store.claimPending('a', { limit: 10, leaseMs: 60_000 })
    await store.markSilenced('a', [{ id: rows[0]!.id, silenceId: 'config:large_transaction/*' }])
    await store.releaseClaims('a')
    await commitAnomalies(t.db, [{ ...rows[0]!, status: 'resolved', resolvedAtMs: Date.now() }])
    const claimed = await store.claimPending('b', { limit: 10, leaseMs: 60_000 })
    expect(claimed.map((c) => c.anomaly.id)).toEqual([rows[1]!.id])
    expect((await readOutbox(t.db)).find((r) => r.id === rows[0]!.id)).toMatchObject({
      silencedBy: 'config:large_transaction/*',
      notified: false,
    })
  })

  it('sets a refused message aside until its slow retry, keeping the reason', async () => {
    await fresh()
    const row = anAnomalyRow()
    await commitAnomalies(t.db, [row])
    await store.claimPending('a', { limit: 10, leaseMs: 60_000 })
    await store.setAside('a', [row.id], 400, 'refused: 403 invalid_token')
    expect(await store.claimPending('b', { limit: 10, leaseMs: 60_000 })).toEqual([])
    expect(await store.countPending()).toEqual({ firing: 1, resolved: 0, setAside: 1 })
    expect((await readOutbox(t.db))[0]).toMatchObject({
      claimedBy: null,
      error: 'refused: 403 invalid_token',
    })
    await sleep(500)
    expect(await store.claimPending('b', { limit: 10, leaseMs: 60_000 })).toHaveLength(1)
  })

  it('releases only its own claims', async () => {
    await fresh()
    const rows = [anAnomalyRow(), anAnomalyRow()]
    await commitAnomalies(t.db, rows)
    await store.claimPending('a', { limit: 1, leaseMs: 60_000 })
    await store.claimPending('b', { limit: 1, leaseMs: 60_000 })
    await store.releaseClaims('a')
    const claimedBy = (await readOutbox(t.db)).map((r) => r.claimedBy).sort()
    expect(claimedBy).toEqual(['b', null])
  })

  it('reads the silences that have not expired', async () => {
    await fresh()
    await t.db.query(
      `INSERT INTO silences (id, rule, key, expires_at, comment, created_by) VALUES
       ('s1', 'high_cpu', NULL, now() + interval '1 hour', 'deploy', 'ops'),
       ('s2', NULL, 'svc-a', now() - interval '1 second', 'over', 'ops')`,
    )
    const silences = await store.activeSilences()
    expect(silences).toEqual([
      {
        id: 's1',
        rule: 'high_cpu',
        key: null,
        expiresAtMs: expect.any(Number),
        comment: 'deploy',
        createdBy: 'ops',
      },
    ])
    expect(silences[0]!.expiresAtMs).toBeGreaterThan(Date.now() + 3_500_000)
  })

  it('keeps a webhook gate, one update at a time', async () => {
    await fresh()
    const policy = { ratePerSecond: 1, burst: 3 }
    const reserve = () =>
      store.updateGate('g', (state, nowMs) => {
        const r = reserveSendSlot(state, nowMs, policy)
        return { state: r.state, result: r.sendAtMs - nowMs }
      })
    const waits = await Promise.all(Array.from({ length: 6 }, reserve))
    // three at once, then one per second: whatever order the processes came in
    const sorted = waits.sort((a, b) => a - b)
    expect(sorted.slice(0, 3).every((w) => w === 0)).toBe(true)
    expect(sorted[3]).toBeGreaterThan(500)
    expect(sorted[5]).toBeGreaterThan(2_500)
    await store.updateGate('g', (state, nowMs) => ({
      state: pauseSends(state, nowMs, 5_000, policy),
      result: null,
    }))
    expect(await reserve()).toBeGreaterThan(4_900)
  })

  it('hears the etl commit anomaly changes', async () => {
    await fresh()
    let heard = 0
    const stop = await store.onChange(() => {
      heard += 1
    })
    try {
      await commitAnomalies(t.db, [anAnomalyRow()])
      for (let i = 0; i < 50 && heard === 0; i++) await sleep(20)
      expect(heard).toBeGreaterThan(0)
    } finally {
      await stop()
    }
  })
})
