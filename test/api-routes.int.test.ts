// The API's query routes against a real PostgreSQL with seeded rows: every route and filter,
// pagination, totals, and the 400s of bad parameters. inject(): no socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import type { ApiInstance } from '../src/api/api-context.ts'
import { MINUTE, seedApiData } from '../src/api/api-seed.ts'
import {
  AUTH,
  buildTestApp,
  createApiTestDatabase,
  expectBadRequest,
  getJson,
  insertLogs,
} from '../src/api/api-test-kit.ts'
import type {
  Anomaly,
  AnomalyDetail,
  LogItem,
  MetricItem,
  Page,
  Readiness,
  Silence,
  Stats,
  Timeseries,
  TransactionItem,
} from '../src/contracts/api.ts'

const NOW = Math.floor(Date.now() / 1000) * 1000
let t: TestDatabase
let app: ApiInstance
let clock = NOW

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  await seedApiData(t.db, NOW)
  app = await buildTestApp(t.db, {
    now: () => clock,
    checks: {
      kafka: async () => ({ ok: true }),
      slack: async () => ({ ok: false, reason: 'webhook answered 403' }),
    },
  })
})
afterAll(async () => {
  await app?.close()
  await t?.destroy()
})

const ids = (page: { items: Array<{ event_id?: string; id?: string }> }) =>
  page.items.map((i) => i.event_id ?? i.id)

async function expectedIds(sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await t.db.query<{ id: string }>(sql, params)
  return rows.map((r) => r.id)
}

/** Every page of a listing, following next_cursor. */
async function allPages<T>(url: string): Promise<Page<T>[]> {
  const pages: Page<T>[] = []
  let next: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const response: { status: number; body: Page<T> } = await getJson<Page<T>>(
      app,
      next ? `${url}${sep}cursor=${next}` : url,
    )
    expect(response.status).toBe(200)
    pages.push(response.body)
    next = response.body.next_cursor
  } while (next && pages.length < 100)
  return pages
}

describe('GET /api/logs', () => {
  it('lists the last hour, newest first, with the total', async () => {
    const { status, body } = await getJson<Page<LogItem>>(app, '/api/logs')
    expect(status).toBe(200)
    const expected = await expectedIds(
      `SELECT event_id AS id FROM logs WHERE ts >= $1 ORDER BY ts DESC, event_id DESC`,
      [new Date(NOW - 60 * MINUTE)],
    )
    expect(ids(body)).toEqual(expected)
    expect(expected).not.toContain('log-old')
    expect(body.total).toEqual({ count: expected.length, exact: true })
    expect(body.next_cursor).toBeNull()
    expect(body.range).toEqual({ from: new Date(NOW - 60 * MINUTE).toISOString(), to: null })
    expect(body.items[0]).toEqual({
      kind: 'log',
      event_id: 'log-00',
      timestamp: new Date(NOW - 500).toISOString(),
      service: 'checkout',
      level: 'ERROR',
      message: 'request 0 served',
      user_id: 'u-7',
      attributes: {},
      source: { topic: 'logs', partition: 0, offset: 0 },
      ingested_at: expect.any(String),
    })
  })

  it.each([
    ['from=-3h', `ts >= now() - interval '3 hours'`],
    ['service=search', `service = 'search'`],
    ['service=search,auth', `service IN ('search', 'auth')`],
    ['level=error', `level = 'ERROR'`],
    ['level=WARN,error', `level IN ('WARN', 'ERROR')`],
    ['user_id=u-7', `user_id = 'u-7'`],
    ['q=declined', `message ILIKE '%declined%'`],
    ['q=100%25', `message = '100% done'`],
    ['q=_', `message = 'under_score here'`],
    [
      'service=checkout&level=ERROR&user_id=u-7',
      `service = 'checkout' AND level = 'ERROR' AND user_id = 'u-7'`,
    ],
    [`from=${new Date(NOW - 10 * MINUTE).toISOString()}&to=-5m`, `ts >= now() - interval '10 minutes'`],
  ])('?%s', async (query, where) => {
    const { status, body } = await getJson<Page<LogItem>>(app, `/api/logs?${query}`)
    expect(status).toBe(200)
    const lower = query.includes('from=-3h')
      ? NOW - 180 * MINUTE
      : query.includes('from=2')
        ? NOW - 10 * MINUTE
        : NOW - 60 * MINUTE
    const upper = query.includes('to=-5m') ? NOW - 5 * MINUTE : NOW + 60 * MINUTE
    const expected = await expectedIds(
      `SELECT event_id AS id FROM logs WHERE ts >= $1 AND ts < $2 AND ${where.replace(/ts >= now\(\) - interval '[^']+'/, 'true')}
       ORDER BY ts DESC, event_id DESC`,
      [new Date(lower), new Date(upper)],
    )
    expect(expected.length).toBeGreaterThan(0)
    expect(ids(body)).toEqual(expected)
    expect(body.total).toEqual({ count: expected.length, exact: true })
  })

  it('pages through every row once, ties broken by id', async () => {
    const pages = await allPages<LogItem>('/api/logs?limit=4')
    const all = await expectedIds(
      `SELECT event_id AS id FROM logs WHERE ts >= $1 ORDER BY ts DESC, event_id DESC`,
      [new Date(NOW - 60 * MINUTE)],
    )
    expect(pages.flatMap(ids)).toEqual(all)
    expect(pages.every((p) => p.items.length <= 4)).toBe(true)
    expect(pages.at(-1)!.next_cursor).toBeNull()
    expect(pages.map((p) => p.total.count)).toEqual(pages.map(() => all.length))
    // the three tied rows come in id order (descending), whichever pages they fall on
    const flat = pages.flatMap(ids)
    expect(flat.filter((id) => id!.startsWith('tie-'))).toEqual(['tie-c', 'tie-b', 'tie-a'])
  })

  it('neither skips nor repeats rows that arrive between pages', async () => {
    const before = await expectedIds(
      `SELECT event_id AS id FROM logs WHERE ts >= $1 AND service = 'checkout' ORDER BY ts DESC, event_id DESC`,
      [new Date(NOW - 60 * MINUTE)],
    )
    const first = await getJson<Page<LogItem>>(app, '/api/logs?service=checkout&limit=3')
    const lastOfFirst = first.body.items.at(-1)!
    // newer than everything, at the same time as the page's last row (ids before and after it),
    // and older than everything listed so far
    const lastMs = Date.parse(lastOfFirst.timestamp)
    await insertLogs(t.db, [
      { id: 'late-new', tsMs: NOW - 100, service: 'checkout' },
      { id: 'late-zzz', tsMs: lastMs, service: 'checkout' },
      { id: 'late-aaa', tsMs: NOW - 59 * MINUTE, service: 'checkout' },
    ])
    try {
      let rest: string[] = []
      let next = first.body.next_cursor
      while (next) {
        const page = await getJson<Page<LogItem>>(app, `/api/logs?service=checkout&limit=3&cursor=${next}`)
        expect(page.status).toBe(200)
        rest = rest.concat(ids(page.body) as string[])
        next = page.body.next_cursor
      }
      const seen = [...(ids(first.body) as string[]), ...rest]
      expect(new Set(seen).size).toBe(seen.length)
      for (const id of before) expect(seen).toContain(id)
      // a row older than the position arrives in a later page; rows above the position cannot
      expect(seen).toContain('late-aaa')
      expect(seen).not.toContain('late-new')
      expect(seen.filter((id) => !before.includes(id)).sort()).toEqual(
        ['late-aaa', ...(lastOfFirst.event_id > 'late-zzz' ? ['late-zzz'] : [])].sort(),
      )
    } finally {
      await t.db.query(`DELETE FROM logs WHERE event_id LIKE 'late-%'`)
    }
  })

  it('keeps the range of the first page when the clock moves on', async () => {
    const first = await getJson<Page<LogItem>>(app, '/api/logs?from=-20m&limit=5')
    clock = NOW + 15 * MINUTE
    try {
      const second = await getJson<Page<LogItem>>(
        app,
        `/api/logs?from=-20m&limit=5&cursor=${first.body.next_cursor}`,
      )
      expect(second.status).toBe(200)
      expect(second.body.range).toEqual(first.body.range)
      expect(second.body.items.length).toBe(5)
    } finally {
      clock = NOW
    }
  })

  it('refuses a cursor with other filters, or one it did not make', async () => {
    const first = await getJson<Page<LogItem>>(app, '/api/logs?service=checkout&limit=2')
    const cursor = first.body.next_cursor!
    expect(
      await expectBadRequest(app, `/api/logs?service=search&limit=2&cursor=${cursor}`, 'cursor'),
    ).toContain('other filters')
    await expectBadRequest(app, `/api/logs?service=checkout&from=-2h&cursor=${cursor}`, 'cursor')
    await expectBadRequest(app, '/api/logs?cursor=bm90LWEtY3Vyc29y', 'cursor')
    // the page size may change from page to page
    const next = await getJson<Page<LogItem>>(app, `/api/logs?service=checkout&limit=7&cursor=${cursor}`)
    expect(next.status).toBe(200)
  })

  it('counts beyond the cap as an estimate', async () => {
    const many = Array.from({ length: 10_050 }, (_, i) => ({
      id: `bulk-${i}`,
      tsMs: NOW - 61 * MINUTE - i,
      service: 'bulk',
    }))
    await insertLogs(t.db, many)
    await t.db.query('ANALYZE logs')
    try {
      const { body } = await getJson<Page<LogItem>>(app, '/api/logs?service=bulk&from=-3h&limit=1')
      expect(body.total.exact).toBe(false)
      expect(body.total.count).toBeGreaterThan(10_000)
      const small = await getJson<Page<LogItem>>(app, '/api/logs?service=search&limit=1')
      expect(small.body.total.exact).toBe(true)
    } finally {
      await t.db.query(`DELETE FROM logs WHERE service = 'bulk'`)
    }
  })
})

describe('GET /api/metrics and /api/transactions', () => {
  it.each([
    ['/api/metrics', `SELECT event_id AS id FROM metrics WHERE ts >= $1 ORDER BY ts DESC, event_id DESC`],
    [
      '/api/metrics?service=search',
      `SELECT event_id AS id FROM metrics WHERE ts >= $1 AND service = 'search' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/metrics?min_cpu=60',
      `SELECT event_id AS id FROM metrics WHERE ts >= $1 AND cpu >= 60 ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/metrics?min_latency_ms=400.5&service=checkout',
      `SELECT event_id AS id FROM metrics WHERE ts >= $1 AND latency_ms >= 400.5 AND service = 'checkout' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?user_id=u-1',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND user_id = 'u-1' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?transaction_id=t-5',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND transaction_id = 't-5' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?currency=eur',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND currency = 'EUR' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?status=declined',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND status = 'declined' ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?min_amount=12&max_amount=20',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND amount BETWEEN 12 AND 20 ORDER BY ts DESC, event_id DESC`,
    ],
    [
      '/api/transactions?min_amount=10000',
      `SELECT event_id AS id FROM transactions WHERE ts >= $1 AND amount >= 10000 ORDER BY ts DESC, event_id DESC`,
    ],
  ])('%s', async (url, sql) => {
    const { status, body } = await getJson<Page<MetricItem | TransactionItem>>(app, url)
    expect(status).toBe(200)
    const expected = await expectedIds(sql, [new Date(NOW - 60 * MINUTE)])
    expect(expected.length).toBeGreaterThan(0)
    expect(ids(body)).toEqual(expected)
  })

  it('returns amounts exactly and every field', async () => {
    const { body } = await getJson<Page<TransactionItem>>(app, '/api/transactions?transaction_id=t-5')
    expect(body.items).toEqual([
      {
        kind: 'transaction',
        event_id: 'tx-05',
        timestamp: new Date(NOW - 10 * MINUTE - 2_000).toISOString(),
        transaction_id: 't-5',
        user_id: 'u-2',
        amount: 12_000.5,
        currency: 'EUR',
        merchant: null,
        status: 'approved',
        attributes: {},
        source: { topic: 'transactions', partition: 0, offset: 0 },
        ingested_at: expect.any(String),
      },
    ])
  })

  it('pages metrics as it pages logs', async () => {
    const pages = await allPages<MetricItem>('/api/metrics?limit=6')
    expect(pages.length).toBe(4)
    expect(pages.flatMap(ids)).toEqual(
      await expectedIds(`SELECT event_id AS id FROM metrics ORDER BY ts DESC, event_id DESC`),
    )
  })
})

describe('GET /api/anomalies', () => {
  it('lists the episodes active in the last 24 h, newest first', async () => {
    const { status, body } = await getJson<Page<Anomaly>>(app, '/api/anomalies')
    expect(status).toBe(200)
    expect(ids(body)).toEqual(['an-open', 'an-large', 'an-ack', 'an-resolved'])
    expect(body.total).toEqual({ count: 4, exact: true })
  })

  it.each([
    ['status=open', ['an-open']],
    ['status=open,acknowledged', ['an-open', 'an-ack']],
    ['status=resolved&from=-7d', ['an-large', 'an-resolved', 'an-old']],
    ['rule=high_cpu&from=-7d', ['an-open', 'an-old']],
    ['rule=high_cpu,high_latency', ['an-open', 'an-ack']],
    ['severity=critical', ['an-resolved']],
    ['topic=transactions', ['an-large']],
    ['key=search', ['an-ack', 'an-resolved']],
    // resolved before the range: out; still open: in, however old
    ['from=-40m', ['an-open', 'an-large', 'an-ack']],
    ['from=-20m', ['an-open', 'an-large', 'an-ack']],
    ['to=-20m', ['an-ack', 'an-resolved']],
  ])('?%s', async (query, expected) => {
    const { status, body } = await getJson<Page<Anomaly>>(app, `/api/anomalies?${query}`)
    expect(status).toBe(200)
    expect(ids(body)).toEqual(expected)
  })

  it('pages', async () => {
    const pages = await allPages<Anomaly>('/api/anomalies?limit=1&from=-7d')
    expect(pages.flatMap(ids)).toEqual(['an-open', 'an-large', 'an-ack', 'an-resolved', 'an-old'])
  })
})

describe('GET /api/anomalies/:id', () => {
  it('gives the anomaly and its key events around the episode', async () => {
    const { status, body } = await getJson<AnomalyDetail>(app, '/api/anomalies/an-open')
    expect(status).toBe(200)
    expect(body.anomaly).toMatchObject({ id: 'an-open', rule: 'high_cpu', key: 'checkout', status: 'open' })
    // high_cpu is keyed by service: checkout's metrics from first_seen - 1 min to last_seen + 1 min
    const expected = await expectedIds(
      `SELECT event_id AS id FROM metrics WHERE service = 'checkout' AND ts BETWEEN $1 AND $2 ORDER BY ts, event_id`,
      [new Date(NOW - 11 * MINUTE), new Date(NOW - MINUTE)],
    )
    expect(expected.length).toBeGreaterThan(2)
    expect(body.events.map((e) => e.event_id)).toEqual(expected)
    expect(body.events.every((e) => e.kind === 'metric')).toBe(true)
    expect(body.events_window).toEqual({
      from: new Date(NOW - 11 * MINUTE).toISOString(),
      to: new Date(NOW - MINUTE).toISOString(),
    })
    expect(body.events_truncated).toBe(false)
  })

  it('narrows to what the rule counts with matching=true, and truncates at events_limit', async () => {
    const all = await getJson<AnomalyDetail>(app, '/api/anomalies/an-resolved')
    const matching = await getJson<AnomalyDetail>(app, '/api/anomalies/an-resolved?matching=true')
    expect(all.body.events.length).toBeGreaterThan(matching.body.events.length)
    expect(matching.body.events.length).toBeGreaterThan(0)
    expect(
      matching.body.events.every((e) => e.kind === 'log' && e.level === 'ERROR' && e.service === 'search'),
    ).toBe(true)
    const one = await getJson<AnomalyDetail>(app, '/api/anomalies/an-resolved?events_limit=1')
    expect(one.body.events).toHaveLength(1)
    expect(one.body.events_truncated).toBe(true)
  })

  it('finds the transaction of a large_transaction anomaly', async () => {
    const { body } = await getJson<AnomalyDetail>(app, '/api/anomalies/an-large')
    expect(body.events.map((e) => e.event_id)).toEqual(['tx-05'])
  })

  it('answers 404 for an unknown id', async () => {
    const { status, body } = await getJson(app, '/api/anomalies/nope')
    expect(status).toBe(404)
    expect(body).toEqual({ error: 'not_found', message: 'id: no anomaly "nope"' })
  })
})

describe('POST /api/anomalies/:id/ack', () => {
  const ack = (id: string, payload: unknown) =>
    app.inject({ method: 'POST', url: `/api/anomalies/${id}/ack`, headers: AUTH, payload: payload as object })

  it('acknowledges an open episode and keeps a resolved one resolved', async () => {
    const opened = await ack('an-open', { by: 'alice', note: 'looking into it' })
    expect(opened.statusCode).toBe(200)
    expect(opened.json()).toMatchObject({
      id: 'an-open',
      status: 'acknowledged',
      acknowledged_by: 'alice',
      ack_note: 'looking into it',
      acknowledged_at: expect.any(String),
    })
    const resolved = await ack('an-resolved', { by: 'bob' })
    expect(resolved.json()).toMatchObject({ status: 'resolved', acknowledged_by: 'bob', ack_note: null })
    const listed = await getJson<Page<Anomaly>>(app, '/api/anomalies?status=acknowledged')
    expect(ids(listed.body)).toEqual(['an-open', 'an-ack'])
    await t.db.query(`UPDATE anomalies SET status = 'open', acknowledged_by = NULL, acknowledged_at = NULL,
      ack_note = NULL WHERE id = 'an-open'`)
  })

  it.each([
    [{}, 'body.by: required'],
    [{ by: '' }, 'body.by: must not be empty'],
    [{ by: 'a', extra: 1 }, 'body: unknown field "extra"'],
    [{ by: 'a'.repeat(201) }, 'body.by: at most 200 characters'],
    [{ by: 'a', note: 5 }, 'body.note: expected string'],
    [{ by: '\ud800' }, 'body.by: must not contain U+0000 or unpaired surrogates'],
    [{ by: 'a\u0000b' }, 'body.by: must not contain U+0000'],
  ])('refuses %j', async (payload, message) => {
    const response = await ack('an-open', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ error: 'bad_request', message: expect.stringContaining(message) })
  })

  it('answers 404 for an unknown id and 400 for a body that is not JSON', async () => {
    expect((await ack('nope', { by: 'a' })).statusCode).toBe(404)
    const broken = await app.inject({
      method: 'POST',
      url: '/api/anomalies/an-open/ack',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"by": ',
    })
    expect(broken.statusCode).toBe(400)
    expect(broken.json()).toEqual({
      error: 'bad_request',
      message: expect.stringMatching(/^body: not valid JSON/),
    })
  })
})

describe('/api/silences', () => {
  const post = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/api/silences', headers: AUTH, payload: payload as object })

  it('creates, lists and ends silences', async () => {
    const created = await post({
      rule: 'high_cpu',
      key: 'checkout',
      duration: '2h',
      comment: 'deploy',
      created_by: 'ops',
    })
    expect(created.statusCode).toBe(201)
    const silence = created.json<Silence>()
    expect(silence).toMatchObject({
      rule: 'high_cpu',
      key: 'checkout',
      comment: 'deploy',
      created_by: 'ops',
      active: true,
    })
    expect(Date.parse(silence.expires_at) - NOW).toBe(2 * 60 * MINUTE)
    const until = new Date(NOW + 30 * MINUTE).toISOString()
    const second = await post({ key: 'auth', expires_at: until, created_by: 'ops' })
    expect(second.json()).toMatchObject({ rule: null, key: 'auth', expires_at: until, comment: '' })

    const active = await getJson<{ items: Silence[] }>(app, '/api/silences')
    expect(active.body.items.map((s) => s.id).sort()).toEqual([silence.id, second.json<Silence>().id].sort())

    const ended = await app.inject({ method: 'DELETE', url: `/api/silences/${silence.id}`, headers: AUTH })
    expect(ended.statusCode).toBe(204)
    expect(ended.body).toBe('')
    const after = await getJson<{ items: Silence[] }>(app, '/api/silences')
    expect(after.body.items.map((s) => s.id)).toEqual([second.json<Silence>().id])
    const expired = await getJson<{ items: Silence[] }>(app, '/api/silences?state=expired')
    expect(expired.body.items).toEqual([expect.objectContaining({ id: silence.id, active: false })])
    const all = await getJson<{ items: Silence[] }>(app, '/api/silences?state=all&limit=10')
    expect(all.body.items).toHaveLength(2)
    // ending it again is harmless; an unknown id is a 404
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/silences/${silence.id}`, headers: AUTH })).statusCode,
    ).toBe(204)
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/silences/nope', headers: AUTH })).statusCode,
    ).toBe(404)
  })

  it.each([
    [{ rule: 'high_cpu', created_by: 'a' }, 'body.duration: give either duration or expires_at'],
    [
      { rule: 'high_cpu', duration: '1h', expires_at: '2030-01-01T00:00:00Z', created_by: 'a' },
      'give either',
    ],
    [{ rule: 'high_cpu', duration: 'soon', created_by: 'a' }, 'body.duration: expected a duration'],
    [{ rule: 'high_cpu', expires_at: '2020-01-01T00:00:00Z', created_by: 'a' }, 'must be in the future'],
    [{ rule: 'high_cpu', duration: '91d', created_by: 'a' }, 'at most 90 days'],
    [{ rule: 'no_such_rule', duration: '1h', created_by: 'a' }, 'body.rule: no rule named "no_such_rule"'],
    [{ rule: 'high_cpu', duration: '1h' }, 'body.created_by: required'],
    [{ rule: 'high_cpu', duration: '1h', created_by: 'a', matchers: [] }, 'body: unknown field "matchers"'],
  ])('refuses %j', async (payload, message) => {
    const response = await post(payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain(message)
  })

  it('refuses a bad state', async () => {
    await expectBadRequest(app, '/api/silences?state=soon', 'state: expected one of active, expired, all')
  })
})

describe('GET /api/stats', () => {
  it('counts what happened in the range', async () => {
    const { status, body } = await getJson<Stats>(app, '/api/stats?from=-1h')
    expect(status).toBe(200)
    expect(body.range).toEqual({
      from: new Date(NOW - 60 * MINUTE).toISOString(),
      to: new Date(NOW).toISOString(),
      seconds: 3600,
    })
    expect(body.topics).toEqual([
      {
        topic: 'logs',
        events: 35,
        per_second: 35 / 3600,
        newest_event_at: new Date(NOW - 500).toISOString(),
      },
      {
        topic: 'metrics',
        events: 20,
        per_second: 20 / 3600,
        newest_event_at: new Date(NOW - 1_000).toISOString(),
      },
      {
        topic: 'transactions',
        events: 15,
        per_second: 15 / 3600,
        newest_event_at: new Date(NOW - 2_000).toISOString(),
      },
    ])
    expect(body.errors).toEqual({ logs: 35, errors: 7, ratio: 7 / 35 })
    const checkout = body.services.find((s) => s.service === 'checkout')!
    expect(checkout).toMatchObject({
      logs: 13,
      errors: 2,
      metrics: 10,
      events: 23,
      max_cpu: 92,
      max_latency_ms: 550,
    })
    expect(checkout.avg_cpu).toBeCloseTo(56)
    expect(body.services.map((s) => s.service)).toEqual(['checkout', 'search', 'auth'])
    expect(body.services.find((s) => s.service === 'search')).toMatchObject({
      logs: 12,
      errors: 3,
      metrics: 10,
    })
    expect(body.anomalies.by_rule_status).toEqual([
      { rule: 'error_burst', status: 'resolved', count: 1 },
      { rule: 'high_cpu', status: 'open', count: 1 },
      { rule: 'high_latency', status: 'acknowledged', count: 1 },
      { rule: 'large_transaction', status: 'resolved', count: 1 },
    ])
    expect(body.anomalies.open).toBe(2)
    expect(body.dead_letters).toEqual([
      { reason: 'out_of_range', topic: 'metrics', count: 2 },
      { reason: 'invalid_json', topic: 'logs', count: 1 },
    ])
    expect(body.pipeline).toEqual([
      {
        group: 'etl',
        partitions: 2,
        last_commit_at: new Date(NOW - 3_000).toISOString(),
        seconds_since_commit: 3,
        lag_records: null,
      },
    ])
  })

  it('takes the lag from the bus when it is wired', async () => {
    const withLag = await buildTestApp(t.db, {
      now: () => NOW,
      consumerLag: async () => [
        { group: 'etl', topic: 'logs', partition: 0, records: 7 },
        { group: 'etl', topic: 'metrics', partition: 0, records: 5 },
      ],
    })
    try {
      const { body } = await getJson<Stats>(withLag, '/api/stats')
      expect(body.pipeline[0]!.lag_records).toBe(12)
    } finally {
      await withLag.close()
    }
  })
})

describe('GET /api/timeseries', () => {
  const range = `from=${new Date(NOW - 30 * MINUTE).toISOString()}&to=${new Date(NOW).toISOString()}`

  it('counts events per bucket, empty buckets included', async () => {
    const { status, body } = await getJson<Timeseries>(
      app,
      `/api/timeseries?series=events&bucket=10m&${range}`,
    )
    expect(status).toBe(200)
    expect(body.bucket_ms).toBe(10 * MINUTE)
    const { rows } = await t.db.query<{ t: Date; n: number }>(
      `SELECT date_bin('10 minutes', ts, timestamptz '1970-01-01Z') AS t, count(*)::int AS n FROM (
         SELECT ts FROM logs UNION ALL SELECT ts FROM metrics UNION ALL SELECT ts FROM transactions) e
       WHERE ts >= $1 AND ts < $2 GROUP BY 1`,
      [new Date(NOW - 30 * MINUTE), new Date(NOW)],
    )
    const byStart = new Map(rows.map((r) => [r.t.toISOString(), r.n]))
    expect(body.points.length).toBe(
      Math.floor(NOW / (10 * MINUTE)) - Math.floor((NOW - 30 * MINUTE) / (10 * MINUTE)) + 1,
    )
    for (const point of body.points) expect(point.count).toBe(byStart.get(point.t) ?? 0)
    expect(body.points.reduce((sum, p) => sum + p.count, 0)).toBe(
      [...byStart.values()].reduce((a, b) => a + b, 0),
    )
  })

  it('gives avg, p95 and max of cpu per bucket', async () => {
    const { body } = await getJson<Timeseries>(
      app,
      `/api/timeseries?series=cpu&service=search&bucket=1h&from=-1h`,
    )
    const cpus = Array.from({ length: 20 }, (_, i) => i)
      .filter((i) => i % 2 === 1)
      .map((i) => 20 + i * 4)
    const points = body.points.filter((p) => p.count > 0)
    expect(points.reduce((n, p) => n + p.count, 0)).toBe(cpus.length)
    const all = body.points.flatMap((p) => (p.max === null ? [] : [p.max]))
    expect(Math.max(...all)).toBe(Math.max(...cpus))
    for (const p of points) {
      expect(p.avg).not.toBeNull()
      expect(p.p95!).toBeLessThanOrEqual(p.max!)
      expect(p.p95!).toBeGreaterThanOrEqual(p.avg!)
    }
  })

  it.each([
    ['errors', 7],
    ['latency', 20],
    ['amount', 15],
    ['anomalies', 4],
  ])('%s over the last hour', async (series, total) => {
    const { status, body } = await getJson<Timeseries>(app, `/api/timeseries?series=${series}&from=-1h`)
    expect(status).toBe(200)
    expect(body.points.reduce((n, p) => n + p.count, 0)).toBe(total)
  })

  it('chooses the bucket when none is given', async () => {
    const { body } = await getJson<Timeseries>(app, '/api/timeseries?series=events&from=-24h')
    expect(body.bucket_ms).toBe(10 * MINUTE)
    expect(body.points.length).toBeLessThanOrEqual(241)
  })

  it.each([
    ['/api/timeseries', 'series: required'],
    ['/api/timeseries?series=bogus', 'series: expected one of events, errors'],
    [
      '/api/timeseries?series=events&bucket=1s&from=-24h',
      'bucket: 1s over 1d gives 86400 buckets, at most 2000',
    ],
    ['/api/timeseries?series=events&bucket=500ms', 'bucket: expected a duration of at least 1s'],
    ['/api/timeseries?series=events&bucket=5', 'bucket: expected a duration'],
    ['/api/timeseries?series=amount&service=checkout', 'service: transactions have no service'],
    ['/api/timeseries?series=events&from=-40d', 'from: the range is longer than 31d'],
  ])('%s -> 400', async (url, message) => {
    expect(await expectBadRequest(app, url, message.split(':')[0]!)).toContain(message)
  })
})

describe('the rest', () => {
  it('lists the rules', async () => {
    const { body } = await getJson<{ rules: Array<{ name: string }> }>(app, '/api/rules')
    expect(body.rules.map((r) => r.name)).toEqual([
      'error_burst',
      'high_cpu',
      'high_latency',
      'large_transaction',
    ])
    expect(body.rules[0]).toMatchObject({
      kind: 'count',
      topic: 'logs',
      key_by: 'service',
      window_ms: 60_000,
      threshold: 20,
    })
  })

  it('is alive without a token, and ready only when every check is', async () => {
    const health = await app.inject({ url: '/healthz' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toEqual({ status: 'ok' })
    const ready = await getJson<Readiness>(app, '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.body).toEqual({
      status: 'not_ready',
      checks: {
        postgres: { ok: true, elapsed_ms: expect.any(Number) },
        kafka: { ok: true, elapsed_ms: expect.any(Number) },
        slack: { ok: false, reason: 'webhook answered 403', elapsed_ms: expect.any(Number) },
      },
    })
  })

  it('serves Prometheus metrics, HTTP requests and open anomalies included', async () => {
    await getJson(app, '/api/rules')
    const response = await app.inject({ url: '/metrics', headers: AUTH })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/plain')
    expect(response.body).toMatch(
      /streamwatch_http_requests_total\{method="GET",route="\/api\/rules",status="200"\} \d+/,
    )
    expect(response.body).toMatch(/streamwatch_http_request_duration_seconds_bucket\{.*route="\/api\/rules"/)
    expect(response.body).toContain('streamwatch_open_anomalies{rule="high_cpu"} 1')
    expect(response.body).toContain('streamwatch_open_anomalies{rule="high_latency"} 1')
    expect(response.body).toContain('streamwatch_events_received_total')
  })

  it('answers an unknown path with a JSON 404', async () => {
    const { status, body } = await getJson(app, '/api/nope')
    expect(status).toBe(404)
    expect(body).toEqual({ error: 'not_found', message: 'no route GET /api/nope' })
  })
})
