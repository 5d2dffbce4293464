// The API under hostile clients, as users run it (`streamwatch api` over real sockets, on a seeded
// database): every route without a token and with wrong ones, SQL injection in every parameter,
// oversized bodies and ranges, a gzip bomb, slow clients holding connections, and the rate limit.
// Pass: no 5xx, nothing leaks (no SQL, stack, token or database URL in any answer), no stored row
// changes, and the server keeps answering /healthz quickly throughout.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedApiData } from '../../src/api/api-seed.ts'
import { readTables, waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { curlPost, rawPost } from '../support/http-clients.ts'
import { type CommandProcess, startCommand, stopCommand, TEST_BROKERS } from '../support/processes.ts'
import { expectAlive, freshTopicNames, log, runScenario, scenarioDatabase } from './support/load-run.ts'

const TOKEN = `fault-${randomBytes(16).toString('hex')}`
const PORT = 18_100 + Math.floor(Math.random() * 800)
const BASE = `http://127.0.0.1:${PORT}`
/** of a second API process started for that check alone (the first one runs without a limit) */
const RATE_LIMIT_PER_MINUTE = 60
const MAX_INGEST_BYTES = 1024 * 1024
const names = freshTopicNames('api')
const database = scenarioDatabase(names)
let api: CommandProcess

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE logs; --',
  "') UNION SELECT usename, passwd FROM pg_shadow --",
  "x' AND pg_sleep(5) IS NULL --",
  '%',
  '_',
  '\\',
  '"; --',
  '$1',
  '0x10',
  '-1',
  'NaN',
  '1e309',
  '9'.repeat(400),
  "2025-01-01T00:00:00Z' OR 1=1 --",
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '\u0000',
  '\ud800',
]

/** What no answer may contain: the database's words, a stack, the secret, the connection string. */
function leaks(answer: string, databaseUrl: string): string[] {
  // a 400 may quote the bad value back (the client's own text): that is not a leak
  let body = answer
  for (const payload of INJECTIONS) {
    body = body.replaceAll(payload, '').replaceAll(JSON.stringify(payload).slice(1, -1), '')
    body = body.replaceAll(JSON.stringify(payload.slice(0, 100)).slice(1, -1), '')
  }
  const found: string[] = []
  for (const pattern of [
    /syntax error/i,
    /\bpg_/,
    /SELECT\s.+\sFROM/i,
    /node_modules/,
    /\bat async\b/,
    /\.ts:\d+/,
  ]) {
    if (pattern.test(body)) found.push(String(pattern))
  }
  if (body.includes(TOKEN)) found.push('the token')
  if (body.includes(databaseUrl)) found.push('the database URL')
  return found
}

interface Answer {
  status: number
  body: string
  ms: number
}

async function call(
  path: string,
  init: RequestInit & { token?: string | null; base?: string } = {},
): Promise<Answer> {
  const headers = new Headers(init.headers)
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? TOKEN}`)
  const startedAt = performance.now()
  const response = await fetch(`${init.base ?? BASE}${path}`, {
    ...init,
    headers,
    signal: AbortSignal.timeout(15_000),
  })
  let body = ''
  if (path.startsWith('/api/stream')) await response.body?.cancel()
  else body = await response.text()
  return { status: response.status, body, ms: performance.now() - startedAt }
}

interface Operation {
  method: string
  /** OpenAPI template, e.g. /api/anomalies/{id} */
  path: string
  query: string[]
  pathParams: string[]
}

async function operations(): Promise<Operation[]> {
  const doc = JSON.parse((await call('/openapi.json')).body) as {
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>
  }
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue
      const params = op.parameters ?? []
      ops.push({
        method: method.toUpperCase(),
        path,
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
      })
    }
  }
  return ops
}

/** percent-encoded; a lone surrogate cannot be, so it goes as the bytes of one (not UTF-8) */
function encode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80%FF'
  }
}

const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encode(value))

async function startApi(port: number, rateLimitPerMinute: number): Promise<CommandProcess> {
  const process = startCommand('api', {
    DATABASE_URL: database.options.url,
    API_TOKEN: TOKEN,
    API_PORT: String(port),
    API_RATE_LIMIT: String(rateLimitPerMinute),
    API_MAX_INGEST_BYTES: String(MAX_INGEST_BYTES),
    KAFKA_BROKERS: TEST_BROKERS,
    TOPIC_PREFIX: names.prefix,
    LOG_LEVEL: 'info',
  })
  await waitFor(
    async () => {
      expectAlive(process, 'the API')
      return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true
    },
    60_000,
    'the API to answer',
  )
  return process
}

beforeAll(async () => {
  await seedApiData(database.db, Date.now())
  api = await startApi(PORT, 0)
})

afterAll(async () => {
  if (api) await stopCommand(api, 'SIGTERM')
})

async function snapshot(): Promise<string> {
  const tables = await readTables(database.db)
  const { rows } = await database.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`,
  )
  return JSON.stringify({ ...tables, schemaTables: rows[0]!.n })
}

describe('API under hostile clients', () => {
  it('refuses, bounds and survives everything, leaking and changing nothing', async () => {
    const databaseUrl = database.options.url ?? ''
    const counts = { requests: 0, unauthorized: 0, injections: 0, rateLimited: 0, slowSockets: 0 }
    await runScenario(
      { scenario: 'API security', load: 'hostile requests, one client', faults: 'pending' },
      async (outcome) => {
        const before = await snapshot()
        const ops = await operations()
        expect(ops.length).toBeGreaterThan(5)
        const problems: string[] = []
        const check = (what: string, answer: Answer, allowed: (status: number) => boolean) => {
          counts.requests++
          if (!allowed(answer.status))
            problems.push(`${what}: status ${answer.status} ${answer.body.slice(0, 120)}`)
          const leaked = leaks(answer.body, databaseUrl)
          if (leaked.length > 0) problems.push(`${what}: leaks ${leaked.join(', ')}`)
        }

        // 1. no token, wrong tokens, malformed Authorization headers: 401 on every protected route
        const wrong: Array<[string, Record<string, string>]> = [
          ['no token', {}],
          ['wrong token', { authorization: 'Bearer nope' }],
          ['token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
          ['token + suffix', { authorization: `Bearer ${TOKEN}x` }],
          ['basic scheme', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
          ['two tokens', { authorization: `Bearer nope ${TOKEN}` }],
          ['empty bearer', { authorization: 'Bearer ' }],
        ]
        for (const op of ops) {
          const url = fill(op.path, 'x')
          if (!url.startsWith('/api') && url !== '/metrics' && url !== '/readyz') continue
          for (const [what, headers] of wrong) {
            const answer = await call(url, { method: op.method, headers, token: null })
            counts.unauthorized++
            check(`${op.method} ${op.path} ${what}`, answer, (s) => s === 401)
          }
        }
        for (const path of [
          '/%61pi/logs',
          '/api//logs',
          '/API/logs',
          '/api/logs/',
          '/api/logs?access_token=' + TOKEN,
        ]) {
          check(
            `GET ${path} without header`,
            await call(path, { token: null }),
            (s) => s === 401 || s === 403 || s === 404,
          )
        }

        // 2. SQL injection and junk in every query and path parameter: 2xx/4xx, never 5xx
        for (const op of ops) {
          if (op.path.startsWith('/api/stream') || op.path.startsWith('/api/ingest')) continue
          for (const payload of INJECTIONS) {
            for (const name of op.query) {
              const url = `${fill(op.path, 'x')}?${name}=${encode(payload)}`
              const answer = await call(url, {
                method: op.method,
                ...(op.method === 'POST' ? jsonBody({}) : {}),
              })
              counts.injections++
              check(`${op.method} ${url}`, answer, (s) => s < 500)
            }
            if (op.pathParams.length > 0 && op.method === 'GET') {
              const url = fill(op.path, payload)
              counts.injections++
              check(`${op.method} ${url}`, await call(url, { method: op.method }), (s) => s < 500)
            }
          }
        }
        // bodies with injection in every string field (silences): accepted as text or refused, no 5xx
        for (const payload of INJECTIONS) {
          const answer = await call(
            '/api/silences',
            jsonBody({ rule: payload, key: payload, comment: payload, expires: payload }),
          )
          counts.injections++
          check(`POST /api/silences ${JSON.stringify(payload)}`, answer, (s) => s < 500)
        }

        // 3. oversized bodies and ranges
        // a body over the limit: every kind of client reads the 413, none meets a network error
        const oversized = `[${'{"a":1},'.repeat(200_000)}{"a":1}]`
        check(
          'ingest body over the limit (fetch)',
          await call(`/api/ingest/logs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: oversized,
          }),
          (s) => s === 413,
        )
        for (const expect100 of [true, false]) {
          const answer = await curlPost(`${BASE}/api/ingest/logs`, oversized, [
            `authorization: Bearer ${TOKEN}`,
            ...(expect100 ? [] : ['expect:']),
          ])
          check(
            `ingest body over the limit (curl${expect100 ? ', Expect: 100-continue' : ''})`,
            { status: answer.status, body: answer.body, ms: 0 },
            (s) => s === 413,
          )
        }
        for (const bodyAfterMs of [0, 200]) {
          const answer = await rawPost(BASE, '/api/ingest/logs', Buffer.from(oversized), {
            headers: { authorization: `Bearer ${TOKEN}` },
            bodyAfterMs,
          })
          const label = `ingest body over the limit (raw socket, body after ${bodyAfterMs} ms)`
          if (answer.error) problems.push(`${label}: ${answer.error} instead of an answer`)
          check(label, { status: answer.statuses.at(-1) ?? 0, body: answer.body, ms: 0 }, (s) => s === 413)
        }
        const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20))
        const bombAnswer = await call('/api/ingest/logs', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: bomb,
        })
        check(
          `ingest gzip bomb (${bomb.byteLength} bytes -> 256 MiB)`,
          bombAnswer,
          (s) => s === 413 || s === 400,
        )
        check(
          'silence body of 2 MiB',
          await call('/api/silences', jsonBody({ comment: 'x'.repeat(2 * 1024 * 1024) })),
          (s) => s === 413 || s === 400,
        )
        for (const range of [
          'from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z',
          'limit=1000000000',
          'limit=-1',
          'from=1970-01-01T00:00:00Z',
          'bucket=1ms&from=2000-01-01T00:00:00Z',
        ]) {
          for (const op of ops.filter(
            (o) =>
              o.method === 'GET' &&
              o.pathParams.length === 0 &&
              !o.path.startsWith('/api/stream') &&
              o.path.startsWith('/api'),
          )) {
            const answer = await call(`${op.path}?${range}`)
            check(`GET ${op.path}?${range}`, answer, (s) => s < 500)
            if (answer.ms > 10_000) problems.push(`GET ${op.path}?${range}: ${Math.round(answer.ms)} ms`)
          }
        }

        // 4. slow clients: sockets that send a header byte at a time and hold on; /healthz stays quick
        const sockets: Socket[] = []
        for (let i = 0; i < 200; i++) {
          const socket = connect(PORT, '127.0.0.1')
          socket.on('error', () => {})
          socket.write('GET /api/logs HTTP/1.1\r\nHost: x\r\n')
          sockets.push(socket)
        }
        counts.slowSockets = sockets.length
        const drip = setInterval(() => {
          for (const s of sockets) if (!s.destroyed) s.write('X')
        }, 1_000)
        try {
          for (let i = 0; i < 5; i++) {
            await new Promise((resolve) => setTimeout(resolve, 1_000))
            const health = await call('/healthz', { token: null })
            check('healthz while slow clients hold connections', health, (s) => s === 200)
            if (health.ms > 2_000)
              problems.push(`healthz took ${Math.round(health.ms)} ms under slow clients`)
          }
        } finally {
          clearInterval(drip)
          for (const s of sockets) s.destroy()
        }

        // 5. the rate limit (a second process with a low one): past it, 429s; the server still answers
        const limited = await startApi(PORT + 1, RATE_LIMIT_PER_MINUTE)
        const base = `http://127.0.0.1:${PORT + 1}`
        let burst: Answer[]
        try {
          burst = await Promise.all(
            Array.from({ length: RATE_LIMIT_PER_MINUTE + 40 }, () => call('/api/rules', { base })),
          )
          check(
            'healthz past the rate limit',
            await call('/healthz', { base, token: null }),
            (s) => s === 200,
          )
        } finally {
          await stopCommand(limited, 'SIGTERM')
        }
        counts.rateLimited = burst.filter((a) => a.status === 429).length
        for (const a of burst) check('burst', a, (s) => s === 200 || s === 429)
        expect(counts.rateLimited).toBeGreaterThanOrEqual(40)

        expectAlive(api, 'the API')
        expect(problems.slice(0, 20)).toEqual([])
        expect(await snapshot()).toEqual(before)
        expect(api.stderr()).not.toContain(TOKEN)
        outcome.faults =
          `${counts.requests} requests: ${counts.unauthorized} with no/wrong tokens, ${counts.injections} with injection payloads, ` +
          `oversized bodies/ranges, a gzip bomb, ${counts.slowSockets} slow sockets, a burst of ${burst.length}`
        outcome.notes = `no 5xx, no leak, no row changed; ${counts.rateLimited} answered 429 past ${RATE_LIMIT_PER_MINUTE}/min; token absent from logs`
        log('api', `${outcome.faults}; ${outcome.notes}`)
      },
    )
  })
})

function jsonBody(value: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) }
}
