// The API's defences against a real PostgreSQL: auth on every protected route, strict validation
// (400 naming the parameter), injection attempts in every parameter changing nothing, CORS closed
// unless configured, rate limiting, no stack traces, the statement timeout, and the refusal to
// listen off loopback without a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../src/adapters/postgres/database.ts'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import type { ApiInstance } from '../src/api/api-context.ts'
import { seedApiData } from '../src/api/api-seed.ts'
import {
  AUTH,
  buildTestApp,
  createApiTestDatabase,
  expectBadRequest,
  getJson,
  TEST_TOKEN,
} from '../src/api/api-test-kit.ts'
import { startApi } from '../src/api/serve-api.ts'
import { StreamwatchError } from '../src/errors.ts'

const NOW = Math.floor(Date.now() / 1000) * 1000
let t: TestDatabase
let app: ApiInstance

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  await seedApiData(t.db, NOW)
  app = await buildTestApp(t.db, { now: () => NOW })
})
afterAll(async () => {
  await app?.close()
  await t?.destroy()
})

/** Every protected route, with a valid request. */
const PROTECTED: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }> = [
  { method: 'GET', url: '/api/logs' },
  { method: 'GET', url: '/api/metrics' },
  { method: 'GET', url: '/api/transactions' },
  { method: 'GET', url: '/api/anomalies' },
  { method: 'GET', url: '/api/anomalies/an-open' },
  { method: 'POST', url: '/api/anomalies/an-open/ack', payload: { by: 'mallory' } },
  { method: 'GET', url: '/api/silences' },
  {
    method: 'POST',
    url: '/api/silences',
    payload: { rule: 'high_cpu', duration: '1h', created_by: 'mallory' },
  },
  { method: 'DELETE', url: '/api/silences/whatever' },
  { method: 'GET', url: '/api/stats' },
  { method: 'GET', url: '/api/timeseries?series=events' },
  { method: 'GET', url: '/api/stream' },
  { method: 'POST', url: '/api/ingest/logs', payload: { timestamp: new Date(NOW).toISOString() } },
  { method: 'GET', url: '/api/rules' },
  { method: 'GET', url: '/readyz' },
  { method: 'GET', url: '/metrics' },
]

describe('auth', () => {
  it.each(PROTECTED)(
    '$method $url: 401 without a token, with a wrong one, or with another scheme',
    async (route) => {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TEST_TOKEN}x` },
        { authorization: `Basic ${Buffer.from(`u:${TEST_TOKEN}`).toString('base64')}` },
        { authorization: TEST_TOKEN },
      ]) {
        const response = await app.inject({
          method: route.method,
          url: route.url,
          headers,
          payload: route.payload,
        })
        expect(response.statusCode).toBe(401)
        expect(response.headers['www-authenticate']).toBe('Bearer realm="streamwatch"')
        expect(response.json()).toEqual({
          error: 'unauthorized',
          message: expect.stringMatching(/bearer token/),
        })
      }
    },
  )

  it('changes nothing for a request refused', async () => {
    const before = await t.db.query(`SELECT count(*)::int AS n FROM silences`)
    await app.inject({ method: 'POST', url: '/api/silences', payload: PROTECTED[7]!.payload })
    expect((await t.db.query(`SELECT count(*)::int AS n FROM silences`)).rows).toEqual(before.rows)
    const anomaly = await t.db.query(`SELECT status, acknowledged_by FROM anomalies WHERE id = 'an-open'`)
    expect(anomaly.rows[0]).toEqual({ status: 'open', acknowledged_by: null })
  })

  it('cannot be dodged by spelling the path differently', async () => {
    for (const url of [
      '/%61pi/logs',
      '/api//logs',
      '/api/logs/',
      '/API/logs',
      '/api/./logs',
      '/api/%2e/logs',
    ]) {
      const response = await app.inject({ url })
      expect([401, 404]).toContain(response.statusCode)
      expect(response.body).not.toContain('event_id')
    }
  })

  it('takes the token as ?access_token= on the stream only', async () => {
    const logs = await app.inject({ url: `/api/logs?access_token=${TEST_TOKEN}` })
    expect(logs.statusCode).toBe(401)
    const stream = await app.inject({ url: '/api/stream?access_token=wrong' })
    expect(stream.statusCode).toBe(401)
  })

  it('leaves /healthz, the docs and the OpenAPI document open', async () => {
    for (const url of ['/healthz', '/openapi.json', '/docs']) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBeLessThan(400)
    }
  })

  it('answers everything without auth when no token is set (loopback only)', async () => {
    const open = await buildTestApp(t.db, { token: undefined, now: () => NOW })
    try {
      expect((await open.inject({ url: '/api/rules' })).statusCode).toBe(200)
    } finally {
      await open.close()
    }
  })
})

describe('listening', () => {
  it.each(['0.0.0.0', '::', '10.1.2.3'])('refuses %s without a token', async (host) => {
    const error = await startApi({ db: t.db, host, port: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamwatchError)
    expect((error as StreamwatchError).code).toBe('config_invalid')
    expect((error as Error).message).toContain('API_TOKEN is required')
  })

  it('listens on loopback without a token, and anywhere with one', async () => {
    for (const options of [{ host: '127.0.0.1' }, { host: '0.0.0.0', token: TEST_TOKEN }]) {
      const api = await startApi({ db: t.db, port: 0, rateLimitPerMinute: 0, ...options })
      try {
        const response = await fetch(`${api.url.replace('0.0.0.0', '127.0.0.1')}/healthz`)
        expect(response.status).toBe(200)
      } finally {
        await api.close()
      }
    }
  })
})

describe('validation', () => {
  it.each([
    ['/api/logs?bogus=1', 'unknown parameter "bogus"'],
    ['/api/logs?limit=0', 'limit: expected a whole number 1..1000'],
    ['/api/logs?limit=1001', 'limit: expected a whole number 1..1000'],
    ['/api/logs?limit=-5', 'limit: expected a whole number 1..1000'],
    ['/api/logs?limit=1.5', 'limit: expected a whole number 1..1000'],
    ['/api/logs?limit=', 'limit: expected a whole number 1..1000'],
    ['/api/logs?limit=1&limit=2', 'limit: expected one value, got 2'],
    ['/api/logs?from=yesterday', 'from: expected an ISO 8601 time'],
    ['/api/logs?to=2025-13-01', 'to: expected an ISO 8601 time'],
    ['/api/logs?from=-1h&to=-2h', 'from: must be before to'],
    ['/api/logs?from=-60d', 'from: the range is longer than 31d'],
    ['/api/logs?level=LOUD', 'level: "LOUD" is not one of'],
    ['/api/logs?service=', 'service.0: must not be empty'],
    ['/api/logs?q=', 'q: must not be empty'],
    [`/api/logs?q=${'x'.repeat(201)}`, 'q: at most 200 characters'],
    ['/api/logs?service=a%00b', 'service.0: must not contain U+0000'],
    ['/api/logs?q=a%00', 'q: must not contain U+0000'],
    ['/api/logs?cursor=abc', 'cursor: not a cursor this API made'],
    ['/api/metrics?min_cpu=lots', 'min_cpu: expected a decimal number'],
    ['/api/metrics?min_latency_ms=1e999', 'min_latency_ms: expected a finite number'],
    ['/api/metrics?level=ERROR', 'unknown parameter "level"'],
    ['/api/transactions?currency=dollars', 'currency.0: expected a 3-letter currency code'],
    ['/api/transactions?min_amount=0x10', 'min_amount: expected a decimal number'],
    ['/api/anomalies?status=closed', 'status: "closed" is not one of'],
    ['/api/anomalies?severity=meh', 'severity: "meh" is not one of'],
    ['/api/anomalies?topic=dead-letters', 'topic: "dead-letters" is not one of'],
    ['/api/anomalies/an-open?events_limit=5000', 'events_limit: expected a whole number 1..1000'],
    ['/api/anomalies/an-open?matching=yes', 'matching: expected true or false'],
    ['/api/silences?limit=abc', 'limit: expected a whole number'],
    ['/api/stats?from=-1h&bucket=1m', 'unknown parameter "bucket"'],
    ['/api/stats?to=soon', 'to: expected an ISO 8601 time'],
    ['/api/rules?verbose=true', 'unknown parameter "verbose"'],
    ['/api/stream?last_event_id=42', 'last-event-id: not an id this stream sent'],
    ['/api/stream?since=now', 'unknown parameter "since"'],
  ])('%s -> 400 "%s"', async (url, message) => {
    expect(await expectBadRequest(app, url, message.split(':')[0]!.split(' ')[0]!)).toContain(message)
  })

  it('refuses an unknown ingest topic, and a body on a route without one', async () => {
    const topic = await app.inject({ method: 'POST', url: '/api/ingest/audit', headers: AUTH, payload: {} })
    expect(topic.statusCode).toBe(400)
    expect(topic.json().message).toBe('topic: expected one of logs, metrics, transactions')
  })
})

const INJECTIONS = [
  `' OR '1'='1`,
  `'; DROP TABLE logs; --`,
  `") OR 1=1 --`,
  `%' OR 1=1 --`,
  `\\' OR 1=1 --`,
  `$1`,
  `1; SELECT pg_sleep(5)`,
  `' UNION SELECT event_id, ts FROM logs --`,
  `{"$ne": null}`,
]

describe('injection', () => {
  let fingerprint: string
  beforeAll(async () => {
    fingerprint = await databaseFingerprint()
  })

  async function databaseFingerprint(): Promise<string> {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM metrics) AS metrics,
         (SELECT count(*) FROM transactions) AS transactions, (SELECT count(*) FROM silences) AS silences,
         (SELECT string_agg(id || status || coalesce(acknowledged_by, ''), ',' ORDER BY id) FROM anomalies) AS anomalies,
         (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables`,
    )
    return JSON.stringify(rows[0])
  }

  /** route -> parameters that take free text or a value from a list */
  const QUERY_PARAMS: Record<string, string[]> = {
    '/api/logs': ['from', 'to', 'limit', 'cursor', 'service', 'level', 'user_id', 'q'],
    '/api/metrics': ['from', 'to', 'limit', 'cursor', 'service', 'min_cpu', 'min_latency_ms'],
    '/api/transactions': [
      'from',
      'to',
      'limit',
      'cursor',
      'user_id',
      'transaction_id',
      'currency',
      'status',
      'min_amount',
      'max_amount',
    ],
    '/api/anomalies': ['from', 'to', 'limit', 'cursor', 'rule', 'status', 'severity', 'topic', 'key'],
    '/api/anomalies/an-open': ['events_limit', 'matching'],
    '/api/silences': ['state', 'limit'],
    '/api/stats': ['from', 'to'],
    '/api/timeseries?series=events': ['service', 'bucket', 'from', 'to'],
    '/api/timeseries?series=cpu': ['service'],
  }
  const cases = Object.entries(QUERY_PARAMS).flatMap(([route, params]) =>
    params.flatMap((param) => INJECTIONS.map((payload) => ({ route, param, payload }))),
  )

  it.each(cases)('$route $param=$payload', async ({ route, param, payload }) => {
    const sep = route.includes('?') ? '&' : '?'
    const started = performance.now()
    const response = await app.inject({
      url: `${route}${sep}${param}=${encodeURIComponent(payload)}`,
      headers: AUTH,
    })
    expect(performance.now() - started).toBeLessThan(3_000)
    expect([200, 400]).toContain(response.statusCode)
    const body = response.json()
    if (response.statusCode === 400) {
      expect(body.error).toBe('bad_request')
      expect(body.message).toContain(param === 'cursor' ? 'cursor' : param)
    } else if (Array.isArray(body.items)) {
      // a filter on a value no row has matches no row
      expect(body.items).toEqual([])
    }
    expect(response.body).not.toMatch(/syntax error|at character|\bSQLSTATE\b| {4}at /)
  })

  it.each(INJECTIONS)('path parameters: %s', async (payload) => {
    const id = encodeURIComponent(payload)
    for (const [method, url] of [
      ['GET', `/api/anomalies/${id}`],
      ['POST', `/api/anomalies/${id}/ack`],
      ['DELETE', `/api/silences/${id}`],
      ['POST', `/api/ingest/${id}`],
    ] as const) {
      const response = await app.inject({
        method,
        url,
        headers: AUTH,
        payload: method === 'POST' ? { by: 'x' } : undefined,
      })
      expect([400, 404], `${method} ${url}`).toContain(response.statusCode)
    }
  })

  it.each(INJECTIONS)('bodies keep the text as text: %s', async (payload) => {
    const ack = await app.inject({
      method: 'POST',
      url: '/api/anomalies/an-ack/ack',
      headers: AUTH,
      payload: { by: payload, note: payload },
    })
    expect(ack.statusCode).toBe(200)
    expect(ack.json()).toMatchObject({ acknowledged_by: payload, ack_note: payload })
    const silence = await app.inject({
      method: 'POST',
      url: '/api/silences',
      headers: AUTH,
      payload: { key: payload, duration: '1m', comment: payload, created_by: payload },
    })
    expect(silence.statusCode).toBe(201)
    expect(silence.json()).toMatchObject({ key: payload, comment: payload, created_by: payload })
    await t.db.query('DELETE FROM silences WHERE id = $1', [silence.json().id])
    await t.db.query(
      `UPDATE anomalies SET acknowledged_by = NULL, ack_note = NULL, acknowledged_at = NULL WHERE id = 'an-ack'`,
    )
  })

  it('left every table as it was', async () => {
    expect(await databaseFingerprint()).toBe(fingerprint)
  })
})

describe('CORS', () => {
  it('sends no CORS headers unless origins are configured', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/logs',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    })
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    const get = await app.inject({ url: '/api/logs', headers: { ...AUTH, origin: 'https://evil.example' } })
    expect(get.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('allows exactly the configured origins', async () => {
    const cors = await buildTestApp(t.db, { corsOrigins: ['https://dash.example'] })
    try {
      const allowed = await cors.inject({
        method: 'OPTIONS',
        url: '/api/logs',
        headers: { origin: 'https://dash.example', 'access-control-request-method': 'GET' },
      })
      expect(allowed.statusCode).toBe(204)
      expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example')
      expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization')
      const other = await cors.inject({
        url: '/api/rules',
        headers: { ...AUTH, origin: 'https://evil.example' },
      })
      expect(other.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await cors.close()
    }
  })
})

describe('rate limiting', () => {
  it('answers 429 past the limit, per client, and never limits /healthz', async () => {
    const limited = await buildTestApp(t.db, { rateLimitPerMinute: 5 })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++)
        statuses.push((await limited.inject({ url: '/api/rules', headers: AUTH })).statusCode)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
      const refused = await limited.inject({ url: '/api/rules', headers: AUTH })
      expect(refused.json()).toEqual({
        error: 'rate_limited',
        message: expect.stringContaining('more than 5 requests'),
      })
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      // unauthenticated guessing counts too
      expect((await limited.inject({ url: '/api/rules' })).statusCode).toBe(429)
      const other = await limited.inject({ url: '/api/rules', headers: AUTH, remoteAddress: '10.9.9.9' })
      expect(other.statusCode).toBe(200)
      for (let i = 0; i < 10; i++) expect((await limited.inject({ url: '/healthz' })).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })
})

describe('failures', () => {
  it('answers 503 without details when a query outlives the statement timeout', async () => {
    const slowDb = await createDatabase({ ...t.options, statementTimeoutMs: 50 })
    const slow = await buildTestApp(slowDb)
    try {
      // the seeded tables are small: a lock held elsewhere makes the query wait past the timeout
      const locker = await createDatabase(t.options)
      try {
        await locker.transaction(async (tx) => {
          await tx.query('LOCK TABLE logs IN ACCESS EXCLUSIVE MODE')
          const blocked = await slow.inject({ url: '/api/logs', headers: AUTH })
          expect(blocked.statusCode).toBe(503)
          expect(blocked.json()).toEqual({
            error: 'unavailable',
            message: 'the query took too long; narrow the time range or add filters',
          })
          expect(blocked.headers['retry-after']).toBe('2')
        })
      } finally {
        await locker.close()
      }
    } finally {
      await slow.close()
      await slowDb.close()
    }
  })

  it('answers 503 when the database is gone, and 500s never carry a stack', async () => {
    const gone = await createDatabase(t.options)
    const broken = await buildTestApp(gone)
    await gone.close()
    try {
      const response = await broken.inject({ url: '/api/logs', headers: AUTH })
      expect(response.statusCode).toBe(503)
      expect(Object.keys(response.json()).sort()).toEqual(['error', 'message'])
      expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+/)
      const ready = await getJson(broken, '/readyz')
      expect(ready.status).toBe(503)
      expect(ready.body).toMatchObject({ status: 'not_ready', checks: { postgres: { ok: false } } })
    } finally {
      await broken.close()
    }
  })
})
