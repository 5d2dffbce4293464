// The etl store's contract, run against a real PostgreSQL server and against PGlite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LogEvent, MetricEvent, Rejection, TransactionEvent } from '../../contracts/events.ts'
import type { Anomaly } from '../../core/detect/anomaly.ts'
import { StreamwatchError } from '../../errors.ts'
import { ANOMALIES_CHANNEL, createEtlStore, type EtlBatch, type EtlStore } from './etl-store.ts'
import { migrate } from './migrate.ts'
import { advanceOffsets } from './partition-state.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './test-database.ts'

const T0 = Date.UTC(2024, 10, 25, 16, 0, 0, 123)

const source = (topic: string, partition: number, offset: number) => ({ topic, partition, offset })

function aLog(offset: number, overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    kind: 'log',
    eventId: `logs/0/${offset}`,
    tsMs: T0 + offset,
    source: source('logs', 0, offset),
    attributes: {},
    service: 'checkout',
    level: 'ERROR',
    message: `failure ${offset}`,
    userId: null,
    ...overrides,
  }
}

function aMetric(offset: number, overrides: Partial<MetricEvent> = {}): MetricEvent {
  return {
    kind: 'metric',
    eventId: `metrics/0/${offset}`,
    tsMs: T0 + offset,
    source: source('metrics', 0, offset),
    attributes: {},
    service: 'checkout',
    cpu: 42.5,
    latencyMs: 120,
    ...overrides,
  }
}

function aTransaction(offset: number, overrides: Partial<TransactionEvent> = {}): TransactionEvent {
  return {
    kind: 'transaction',
    eventId: `transactions/0/${offset}`,
    tsMs: T0 + offset,
    source: source('transactions', 0, offset),
    attributes: {},
    transactionId: `tx-${offset}`,
    userId: 'u-1',
    amount: 19.99,
    currency: 'EUR',
    merchant: null,
    status: null,
    ...overrides,
  }
}

function aRejection(offset: number, overrides: Partial<Rejection> = {}): Rejection {
  return {
    kind: 'rejection',
    expected: 'log',
    reason: 'invalid_json',
    message: 'value: not valid JSON',
    source: source('logs', 0, offset),
    key: new TextEncoder().encode('checkout'),
    raw: new Uint8Array([0x7b, 0x00, 0xff]),
    ...overrides,
  }
}

function anAnomaly(overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    id: 'a-1',
    rule: 'error_burst',
    key: 'checkout',
    topic: 'logs',
    status: 'open',
    firstSeenMs: T0,
    lastSeenMs: T0 + 1000,
    value: 12,
    threshold: 10,
    comparator: '>',
    eventCount: 12,
    severity: 'critical',
    windowMs: 60_000,
    ...overrides,
  }
}

function aBatch(overrides: Partial<EtlBatch> = {}): EtlBatch {
  return {
    logs: [],
    metrics: [],
    transactions: [],
    rejections: [],
    anomalies: [],
    detectorStates: [],
    offsets: [],
    ...overrides,
  }
}

describe.each(DATABASE_KINDS)('etl store on %s', (kind) => {
  let t: TestDatabase
  let store: EtlStore
  beforeAll(async () => {
    t = await createTestDatabase(kind)
    await migrate(t.db)
    store = createEtlStore(t.db, { groupId: 'etl' })
  })
  afterAll(async () => {
    await t?.destroy()
  })
  beforeEach(async () => {
    await t.db.exec(
      'TRUNCATE logs, metrics, transactions, anomalies, dead_letters, consumer_offsets, detector_state',
    )
  })

  const count = async (table: string) =>
    (await t.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n

  const everything = async () => ({
    logs: await count('logs'),
    metrics: await count('metrics'),
    transactions: await count('transactions'),
    deadLetters: await count('dead_letters'),
    anomalies: await count('anomalies'),
    offsets: (await t.db.query('SELECT topic, partition, next_offset FROM consumer_offsets ORDER BY 1, 2'))
      .rows,
    states: await count('detector_state'),
  })

  const fullBatch = () =>
    aBatch({
      logs: [aLog(0, { userId: 'u-7', attributes: { region: 'eu', tags: ['a'] } }), aLog(1)],
      metrics: [aMetric(0)],
      transactions: [aTransaction(0, { amount: 1234.567, merchant: 'shop', status: 'approved' })],
      rejections: [aRejection(2)],
      anomalies: [anAnomaly()],
      detectorStates: [{ topic: 'logs', partition: 0, state: { v: 1, windows: [1, 2] } }],
      offsets: [
        { topic: 'logs', partition: 0, offset: 3 },
        { topic: 'metrics', partition: 0, offset: 1 },
        { topic: 'transactions', partition: 0, offset: 1 },
      ],
    })

  it('writes every part of a batch, with values exactly as given', async () => {
    const result = await store.commitBatch(fullBatch())
    expect(result).toEqual({ logs: 2, metrics: 1, transactions: 1, deadLetters: 1, anomalyIds: ['a-1'] })

    const { rows: logs } = await t.db.query(
      `SELECT event_id, ts, service, level, message, user_id, attributes, topic, partition, "offset"
       FROM logs ORDER BY "offset"`,
    )
    expect(logs[0]).toEqual({
      event_id: 'logs/0/0',
      ts: new Date(T0),
      service: 'checkout',
      level: 'ERROR',
      message: 'failure 0',
      user_id: 'u-7',
      attributes: { region: 'eu', tags: ['a'] },
      topic: 'logs',
      partition: 0,
      offset: 0,
    })
    expect(logs[1]).toMatchObject({
      event_id: 'logs/0/1',
      ts: new Date(T0 + 1),
      user_id: null,
      attributes: {},
    })

    expect((await t.db.query('SELECT service, cpu, latency_ms FROM metrics')).rows).toEqual([
      { service: 'checkout', cpu: 42.5, latency_ms: 120 },
    ])
    const { rows: transactions } = await t.db.query(
      'SELECT transaction_id, user_id, amount::text AS amount, currency, merchant, status FROM transactions',
    )
    expect(transactions).toEqual([
      {
        transaction_id: 'tx-0',
        user_id: 'u-1',
        amount: '1234.567',
        currency: 'EUR',
        merchant: 'shop',
        status: 'approved',
      },
    ])
    const { rows: deadLetters } = await t.db.query(
      'SELECT topic, partition, "offset", expected_kind, reason, message, raw, key FROM dead_letters',
    )
    expect(deadLetters).toHaveLength(1)
    expect(deadLetters[0]).toMatchObject({
      topic: 'logs',
      partition: 0,
      offset: 2,
      expected_kind: 'log',
      reason: 'invalid_json',
      message: 'value: not valid JSON',
    })
    expect([...(deadLetters[0]!['raw'] as Uint8Array)]).toEqual([0x7b, 0x00, 0xff])
    expect(Buffer.from(deadLetters[0]!['key'] as Uint8Array).toString()).toBe('checkout')

    const { rows: anomalies } = await t.db.query(
      `SELECT id, rule, key, topic, status, severity, first_seen, last_seen, resolved_at, value, threshold,
         comparator, event_count, window_ms, details, notified_at FROM anomalies`,
    )
    expect(anomalies).toEqual([
      {
        id: 'a-1',
        rule: 'error_burst',
        key: 'checkout',
        topic: 'logs',
        status: 'open',
        severity: 'critical',
        first_seen: new Date(T0),
        last_seen: new Date(T0 + 1000),
        resolved_at: null,
        value: 12,
        threshold: 10,
        comparator: '>',
        event_count: 12,
        window_ms: 60_000,
        details: {},
        notified_at: null,
      },
    ])
  })

  it('stores text PostgreSQL cannot hold (NUL, a lone surrogate) as U+FFFD instead of failing the batch', async () => {
    await store.commitBatch(
      aBatch({
        logs: [aLog(0, { message: 'x\ud800y', attributes: { 'k\u0000': 'v\udc00' } })],
        anomalies: [anAnomaly({ key: 'svc\u0000' })],
        offsets: [{ topic: 'logs', partition: 0, offset: 1 }],
      }),
    )
    expect((await t.db.query('SELECT message, attributes FROM logs')).rows).toEqual([
      { message: 'x\ufffdy', attributes: { 'k\ufffd': 'v\ufffd' } },
    ])
    expect((await t.db.query('SELECT key FROM anomalies')).rows).toEqual([{ key: 'svc\ufffd' }])
  })

  it('returns what was committed from loadPartitions, in the order asked', async () => {
    await store.commitBatch(fullBatch())
    const loaded = await store.loadPartitions([
      { topic: 'transactions', partition: 0 },
      { topic: 'logs', partition: 0 },
      { topic: 'logs', partition: 5 },
    ])
    expect(loaded).toEqual([
      { topic: 'transactions', partition: 0, nextOffset: 1 },
      { topic: 'logs', partition: 0, nextOffset: 3, detectorState: { v: 1, windows: [1, 2] } },
      { topic: 'logs', partition: 5 },
    ])
    const other = createEtlStore(t.db, { groupId: 'staging.etl' })
    expect(await other.loadPartitions([{ topic: 'logs', partition: 0 }])).toEqual([
      { topic: 'logs', partition: 0 },
    ])
  })

  it('chains commits: each expects the offset the previous one stored, and the state is replaced', async () => {
    await store.commitBatch(
      aBatch({ logs: [aLog(0)], offsets: [{ topic: 'logs', partition: 0, offset: 1 }] }),
    )
    await store.commitBatch(
      aBatch({
        logs: [aLog(1), aLog(2)],
        detectorStates: [{ topic: 'logs', partition: 0, state: { n: 2 } }],
        offsets: [{ topic: 'logs', partition: 0, offset: 3, expectedOffset: 1 }],
      }),
    )
    await store.commitBatch(
      aBatch({
        detectorStates: [{ topic: 'logs', partition: 0, state: { n: 3 } }],
        offsets: [{ topic: 'logs', partition: 0, offset: 3, expectedOffset: 3 }],
      }),
    )
    expect(await store.loadPartitions([{ topic: 'logs', partition: 0 }])).toEqual([
      { topic: 'logs', partition: 0, nextOffset: 3, detectorState: { n: 3 } },
    ])
    expect(await count('logs')).toBe(3)
  })

  it('refuses the same batch committed twice: the second fails the fencing and changes nothing', async () => {
    const batch = fullBatch()
    await store.commitBatch(batch)
    const before = await everything()
    const second = store.commitBatch(batch)
    await expect(second).rejects.toBeInstanceOf(StreamwatchError)
    await expect(second).rejects.toMatchObject({
      code: 'db_conflict',
      retriable: false,
      message: expect.stringMatching(/^logs\[0\] of group etl stands at 3, expected none/),
    })
    expect(await everything()).toEqual(before)
  })

  it('never doubles rows when events are replayed from an older position (a reset group)', async () => {
    await store.commitBatch(fullBatch())
    await t.db.query('DELETE FROM consumer_offsets')
    const replay = await store.commitBatch(fullBatch())
    expect(replay).toMatchObject({ logs: 0, metrics: 0, transactions: 0, deadLetters: 0, anomalyIds: [] })
    expect(await everything()).toMatchObject({
      logs: 2,
      metrics: 1,
      transactions: 1,
      deadLetters: 1,
      anomalies: 1,
    })
  })

  it('keeps the first of an event id sent again by a producer, in a later batch or the same one', async () => {
    await store.commitBatch(
      aBatch({ logs: [aLog(0, { eventId: 'e-1' })], offsets: [{ topic: 'logs', partition: 0, offset: 1 }] }),
    )
    const result = await store.commitBatch(
      aBatch({
        logs: [
          aLog(1, { eventId: 'e-1', message: 'resent' }),
          aLog(2, { eventId: 'e-2' }),
          aLog(3, { eventId: 'e-2', message: 'resent' }),
          aLog(4),
        ],
        offsets: [{ topic: 'logs', partition: 0, offset: 5, expectedOffset: 1 }],
      }),
    )
    expect(result.logs).toBe(2)
    const { rows } = await t.db.query('SELECT event_id, message FROM logs ORDER BY event_id')
    expect(rows).toEqual([
      { event_id: 'e-1', message: 'failure 0' },
      { event_id: 'e-2', message: 'failure 2' },
      { event_id: 'logs/0/4', message: 'failure 4' },
    ])
  })

  it('stores a rejection redelivered within a batch or in a later batch once', async () => {
    await store.commitBatch(
      aBatch({
        rejections: [aRejection(5), aRejection(5, { message: 'again' })],
        offsets: [{ topic: 'logs', partition: 0, offset: 6 }],
      }),
    )
    const later = await store.commitBatch(
      aBatch({
        rejections: [aRejection(5)],
        offsets: [{ topic: 'logs', partition: 0, offset: 6, expectedOffset: 6 }],
      }),
    )
    expect(later.deadLetters).toBe(0)
    expect(await count('dead_letters')).toBe(1)
  })

  it('writes nothing of a batch when one partition is fenced, and names that partition', async () => {
    await store.commitBatch(aBatch({ offsets: [{ topic: 'metrics', partition: 1, offset: 50 }] }))
    const attempt = store.commitBatch(
      aBatch({
        logs: [aLog(0)],
        metrics: [aMetric(40, { source: source('metrics', 1, 40) })],
        offsets: [
          { topic: 'logs', partition: 0, offset: 1 },
          { topic: 'metrics', partition: 1, offset: 41, expectedOffset: 40 },
        ],
      }),
    )
    await expect(attempt).rejects.toMatchObject({
      code: 'db_conflict',
      message: expect.stringContaining('metrics[1] of group etl stands at 50, expected 40'),
    })
    expect(await everything()).toMatchObject({
      logs: 0,
      metrics: 0,
      offsets: [{ topic: 'metrics', partition: 1, next_offset: 50 }],
    })
  })

  it('lets exactly one of two concurrent commits of a partition through', async () => {
    const batchOf = (offset: number) =>
      aBatch({ logs: [aLog(offset)], offsets: [{ topic: 'logs', partition: 0, offset: offset + 1 }] })
    const results = await Promise.allSettled([store.commitBatch(batchOf(0)), store.commitBatch(batchOf(7))])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(failure.reason).toMatchObject({ code: 'db_conflict' })
    expect(await count('logs')).toBe(1)
  })

  it('makes a commit wait for a concurrent holder of the partition and then fail its fencing', async () => {
    await store.commitBatch(aBatch({ offsets: [{ topic: 'logs', partition: 0, offset: 10 }] }))
    let late: Promise<unknown> | undefined
    await t.db.transaction(async (tx) => {
      // another consumer moves logs[0] from 10 to 20 and holds its row lock for a while
      await advanceOffsets(tx, 'etl', [{ topic: 'logs', partition: 0, offset: 20, expectedOffset: 10 }])
      late = store.commitBatch(
        aBatch({
          logs: [aLog(10)],
          offsets: [{ topic: 'logs', partition: 0, offset: 11, expectedOffset: 10 }],
        }),
      )
      late.catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 300))
    })
    await expect(late).rejects.toMatchObject({
      code: 'db_conflict',
      message: expect.stringContaining('logs[0] of group etl stands at 20, expected 10'),
    })
    expect(await count('logs')).toBe(0)
  })

  it('rolls back everything when a statement fails mid-transaction', async () => {
    const attempt = store.commitBatch(
      aBatch({
        logs: [aLog(0)],
        metrics: [aMetric(0, { cpu: Number.NaN })], // JSON null: violates NOT NULL after the logs went in
        offsets: [
          { topic: 'logs', partition: 0, offset: 1 },
          { topic: 'metrics', partition: 0, offset: 1 },
        ],
      }),
    )
    await expect(attempt).rejects.toMatchObject({ code: 'internal', retriable: false })
    expect(await everything()).toMatchObject({ logs: 0, metrics: 0, offsets: [] })
  })

  it('refuses data from a partition the batch does not fence', async () => {
    await expect(
      store.commitBatch(aBatch({ logs: [aLog(0)], offsets: [{ topic: 'logs', partition: 1, offset: 1 }] })),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('logs[0] has data') })
    await expect(
      store.commitBatch(
        aBatch({
          offsets: [
            { topic: 'logs', partition: 1, offset: 1 },
            { topic: 'logs', partition: 1, offset: 2 },
          ],
        }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('twice') })
  })

  describe('anomalies', () => {
    let expected = 0
    const commitAnomalies = (...anomalies: Anomaly[]) => {
      const previous = expected === 0 ? null : expected
      expected += 1
      return store.commitBatch(
        aBatch({
          anomalies,
          offsets: [{ topic: 'logs', partition: 0, offset: expected, expectedOffset: previous }],
        }),
      )
    }
    const row = async () =>
      (
        await t.db.query(
          `SELECT status, last_seen, resolved_at, value, event_count, notified_at, acknowledged_by, ack_note
           FROM anomalies WHERE id = 'a-1'`,
        )
      ).rows[0]
    beforeEach(() => {
      expected = 0
    })

    it('go from open to updated to resolved', async () => {
      expect((await commitAnomalies(anAnomaly())).anomalyIds).toEqual(['a-1'])
      await commitAnomalies(anAnomaly({ lastSeenMs: T0 + 5000, value: 30, eventCount: 40 }))
      expect(await row()).toMatchObject({
        status: 'open',
        last_seen: new Date(T0 + 5000),
        value: 30,
        event_count: 40,
      })
      await commitAnomalies(
        anAnomaly({
          status: 'resolved',
          lastSeenMs: T0 + 5000,
          resolvedAtMs: T0 + 65_000,
          value: 30,
          eventCount: 40,
        }),
      )
      expect(await row()).toMatchObject({ status: 'resolved', resolved_at: new Date(T0 + 65_000) })
    })

    it('keep an acknowledgement while open, resolve it when the episode ends, and never touch notified_at', async () => {
      await commitAnomalies(anAnomaly())
      const notifiedAt = new Date('2024-11-25T16:01:00Z')
      await t.db.query(
        `UPDATE anomalies SET status = 'acknowledged', acknowledged_by = 'ana', acknowledged_at = now(),
           ack_note = 'looking', notified_at = $1 WHERE id = 'a-1'`,
        [notifiedAt],
      )
      await commitAnomalies(anAnomaly({ lastSeenMs: T0 + 9000, eventCount: 50 }))
      expect(await row()).toMatchObject({
        status: 'acknowledged',
        last_seen: new Date(T0 + 9000),
        event_count: 50,
        acknowledged_by: 'ana',
        notified_at: notifiedAt,
      })
      await commitAnomalies(
        anAnomaly({ status: 'resolved', lastSeenMs: T0 + 9000, resolvedAtMs: T0 + 70_000 }),
      )
      expect(await row()).toMatchObject({
        status: 'resolved',
        resolved_at: new Date(T0 + 70_000),
        acknowledged_by: 'ana',
        ack_note: 'looking',
        notified_at: notifiedAt,
      })
    })

    it('count an unchanged re-send as no change, and keep the last of two states of one id in a batch', async () => {
      await commitAnomalies(anAnomaly())
      expect((await commitAnomalies(anAnomaly())).anomalyIds).toEqual([])
      const result = await commitAnomalies(
        anAnomaly({ lastSeenMs: T0 + 2000 }),
        anAnomaly({ lastSeenMs: T0 + 3000, eventCount: 13 }),
      )
      expect(result.anomalyIds).toEqual(['a-1'])
      expect(await row()).toMatchObject({ last_seen: new Date(T0 + 3000), event_count: 13 })
    })

    it(`notify ${ANOMALIES_CHANNEL} listeners when a commit changes them, and only then`, async () => {
      const payloads: (string | null)[] = []
      const unlisten = await t.db.listen(ANOMALIES_CHANNEL, (payload) => payloads.push(payload))
      try {
        await commitAnomalies(anAnomaly(), anAnomaly({ id: 'a-2', key: 'search' }))
        await expect.poll(() => payloads, { timeout: 5000 }).toHaveLength(1)
        expect(JSON.parse(payloads[0]!)).toEqual({ groupId: 'etl', changed: 2 })
        await commitAnomalies(anAnomaly())
        await new Promise((resolve) => setTimeout(resolve, 300))
        expect(payloads).toHaveLength(1)
      } finally {
        await unlisten()
      }
    })
  })
})
