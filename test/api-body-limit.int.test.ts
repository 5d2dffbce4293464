// Bodies over a route's limit, over real sockets, as clients send them: Node's fetch, curl (which
// asks `Expect: 100-continue` for large bodies) and a raw socket that writes its whole body before
// it reads. Every one must read the 413, never a network error (src/api/body-limit.ts). The API
// runs on PostgreSQL and the in-memory bus, listening on a free port.
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../src/adapters/memory-bus/memory-bus.ts'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { createApiTestDatabase, TEST_TOKEN } from '../src/api/api-test-kit.ts'
import { BODY_LIMIT_HEADER, discardLimitBytes } from '../src/api/body-limit.ts'
import { type RunningApi, startApi } from '../src/api/serve-api.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { curlPost, type RawPostOptions, rawPost } from './support/http-clients.ts'

const MAX_INGEST_BYTES = 4 * 1024 * 1024
const SMALL_LIMIT_BYTES = 64 * 1024 // every route but ingest
/**
 * 12 MB of JSON: over the ingest limit, within its discard bound, and more than the socket buffers
 * of both ends hold, so a server that closes before reading it makes the client's writes fail
 */
const OVERSIZED = `[${'{"a":1},'.repeat(1_500_000)}{"a":1}]`
const AUTH = `Bearer ${TEST_TOKEN}`

let t: TestDatabase
let api: RunningApi

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  api = await startApi({
    db: t.db,
    host: '127.0.0.1',
    port: 0,
    token: TEST_TOKEN,
    rateLimitPerMinute: 0,
    bus: createMemoryBus(),
    metrics: createMetrics({ defaultMetrics: false }),
    limits: { maxIngestBytes: MAX_INGEST_BYTES },
  })
})

afterAll(async () => {
  await api?.close()
  await t?.destroy()
})

const post = (path: string, body: Buffer, options?: RawPostOptions) => rawPost(api.url, path, body, options)
const curl = (path: string, body: string, headers: string[] = []) =>
  curlPost(`${api.url}${path}`, body, [`authorization: ${AUTH}`, ...headers])

function expect413(body: string, limitBytes: number): void {
  expect(JSON.parse(body)).toEqual({
    error: 'payload_too_large',
    message: `body: larger than ${limitBytes} bytes, the limit of this endpoint; send it in smaller requests`,
  })
}

describe('a body over the limit gets a 413 the client can read', () => {
  it('Node fetch with a Content-Length: 413 with the limit in the message and a header', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${api.url}/api/ingest/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: AUTH },
        body: OVERSIZED,
      })
      expect(response.status).toBe(413)
      expect(response.headers.get(BODY_LIMIT_HEADER)).toBe(String(MAX_INGEST_BYTES))
      expect413(await response.text(), MAX_INGEST_BYTES)
    }
  })

  it('Node fetch streaming its body a moment after the head, with a length or chunked', async () => {
    const payload = Buffer.from(OVERSIZED)
    for (const declared of [true, false]) {
      const response = await fetch(`${api.url}/api/ingest/logs`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: AUTH,
          ...(declared ? { 'content-length': String(payload.byteLength) } : {}),
        },
        body: new ReadableStream({
          async start(controller) {
            await new Promise((resolve) => setTimeout(resolve, 200))
            for (let offset = 0; offset < payload.byteLength; offset += 100_000) {
              controller.enqueue(payload.subarray(offset, offset + 100_000))
            }
            controller.close()
          },
        }),
        duplex: 'half',
      } as RequestInit)
      expect({ declared, status: response.status }).toEqual({ declared, status: 413 })
      expect413(await response.text(), MAX_INGEST_BYTES)
    }
  })

  it('curl asks Expect: 100-continue: it gets the 413 before it sends a byte of the body', async () => {
    const answer = await curl('/api/ingest/logs', OVERSIZED)
    expect(answer.status).toBe(413)
    expect(answer.uploaded).toBe(0)
    expect413(answer.body, MAX_INGEST_BYTES)
    // without Expect, curl sends the whole body and still reads the 413
    const plain = await curl('/api/ingest/logs', OVERSIZED, ['expect:'])
    expect(plain.status).toBe(413)
    expect(plain.uploaded).toBe(Buffer.byteLength(OVERSIZED))
  })

  it('a raw client that writes its whole body before reading, with a length or chunked', async () => {
    for (const [chunked, bodyAfterMs] of [
      [false, 0],
      [false, 200],
      [true, 0],
      [true, 200],
    ] as const) {
      const answer = await post('/api/ingest/logs', Buffer.from(OVERSIZED), {
        chunked,
        bodyAfterMs,
        headers: { authorization: AUTH },
      })
      expect({ chunked, bodyAfterMs, statuses: answer.statuses, error: answer.error }).toEqual({
        chunked,
        bodyAfterMs,
        statuses: [413],
        error: undefined,
      })
      expect(answer.headers).toContain(`${BODY_LIMIT_HEADER}: ${MAX_INGEST_BYTES}`)
      expect(answer.headers).toContain('connection: close')
      expect413(answer.body, MAX_INGEST_BYTES)
    }
  })

  it('routes with the default limit too: a 2 MiB silence', async () => {
    const body = JSON.stringify({ rule: 'error_burst', key: 'x', comment: 'x'.repeat(2 * 1024 * 1024) })
    const response = await fetch(`${api.url}/api/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: AUTH },
      body,
    })
    expect(response.status).toBe(413)
    expect413(await response.text(), SMALL_LIMIT_BYTES)
    const raw = await post('/api/silences', Buffer.from(body), { headers: { authorization: AUTH } })
    expect(raw.statuses).toEqual([413])
  })

  it('a gzip body that inflates past the limit: 413 with the limit', async () => {
    const response = await fetch(`${api.url}/api/ingest/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: AUTH },
      body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)),
    })
    expect(response.status).toBe(413)
    expect(response.headers.get(BODY_LIMIT_HEADER)).toBe(String(MAX_INGEST_BYTES))
  })
})

describe('Expect: 100-continue', () => {
  it('a body within the limit gets its 100, then the route answers', async () => {
    const event = JSON.stringify({
      timestamp: new Date().toISOString(),
      service: 'checkout',
      level: 'INFO',
      message: 'expect continue',
    })
    const answer = await post('/api/ingest/logs', Buffer.from(event), {
      waitFor100: true,
      headers: { authorization: AUTH, connection: 'close' },
    })
    expect(answer.statuses).toEqual([100, 200])
    expect(JSON.parse(answer.body)).toMatchObject({ accepted: 1, rejected: 0 })
  })

  it('no 100 for a request the API refuses before its body: 413 by declared length, 401 without a token', async () => {
    const oversized = await post('/api/ingest/logs', Buffer.from(OVERSIZED), {
      waitFor100: true,
      headers: { authorization: AUTH },
    })
    expect({ statuses: oversized.statuses, written: oversized.written }).toEqual({
      statuses: [413],
      written: 0,
    })
    const unauthorized = await post('/api/ingest/logs', Buffer.from('{}'), { waitFor100: true })
    expect({ statuses: unauthorized.statuses, written: unauthorized.written }).toEqual({
      statuses: [401],
      written: 0,
    })
  })
})

describe('past the discard bound', () => {
  it('a client that goes on writing is answered and cut off, and the API carries on', async () => {
    const bound = discardLimitBytes(SMALL_LIMIT_BYTES)
    const answer = await post('/api/silences', Buffer.alloc(bound * 3, 0x20), {
      headers: { authorization: AUTH },
    })
    // the server stopped reading at the bound: the client could not write its whole body
    expect(answer.written).toBeLessThan(bound * 3)
    const health = await fetch(`${api.url}/healthz`)
    expect(health.status).toBe(200)
  })
})
