// GET /api/stream over a real socket and a real PostgreSQL: anomalies arrive within a second of
// the etl's commit (LISTEN/NOTIFY), the poll catches what a lost notification would miss,
// Last-Event-ID resumes, counters tick, heartbeats flow, and closing the server ends the streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEtlStore } from '../src/adapters/postgres/etl-store.ts'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import {
  AUTH,
  createApiTestDatabase,
  insertAnomaly,
  insertLogs,
  TEST_TOKEN,
} from '../src/api/api-test-kit.ts'
import { type RunningApi, startApi } from '../src/api/serve-api.ts'
import type { AnomalyEvent, CountersEvent } from '../src/contracts/api.ts'
import { createMetrics } from '../src/observability/metrics.ts'

interface SseEvent {
  event: string
  id?: string
  data: unknown
  receivedAtMs: number
}

/** A stream client: every event and comment as it arrives. */
async function openSse(url: string, headers: Record<string, string> = AUTH) {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  const events: SseEvent[] = []
  const comments: string[] = []
  let retry: number | undefined
  const waiters = new Set<() => void>()
  const done = (async () => {
    if (!response.body) return
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { value, done: ended } = await reader.read()
        if (ended) break
        buffer += decoder.decode(value, { stream: true })
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const fields: Record<string, string> = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else {
              const at = line.indexOf(':')
              fields[line.slice(0, at)] = line.slice(at + 1).trimStart()
            }
          }
          if (fields['retry']) retry = Number(fields['retry'])
          if (fields['data'] !== undefined) {
            events.push({
              event: fields['event'] ?? 'message',
              id: fields['id'],
              data: JSON.parse(fields['data']),
              receivedAtMs: performance.now(),
            })
          }
          for (const wake of waiters) wake()
          end = buffer.indexOf('\n\n')
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    response,
    events,
    comments,
    get retry() {
      return retry
    },
    async waitFor(predicate: (e: SseEvent) => boolean, timeoutMs: number, what = 'event'): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = events.find(predicate)
        if (found) return found
        const left = deadline - Date.now()
        if (left <= 0)
          throw new Error(
            `no ${what} within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`,
          )
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake)
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(wake, Math.min(left, 50))
          waiters.add(wake)
        })
      }
    },
    async close() {
      controller.abort()
      await done
    },
    done,
  }
}

const isAnomaly = (id: string, change?: string) => (e: SseEvent) =>
  e.event === 'anomaly' &&
  (e.data as AnomalyEvent).anomaly.id === id &&
  (change === undefined || (e.data as AnomalyEvent).change === change)

let t: TestDatabase
let api: RunningApi

async function start(stream: Record<string, number>, extra: Record<string, unknown> = {}) {
  return startApi({
    db: t.db,
    host: '127.0.0.1',
    port: 0,
    token: TEST_TOKEN,
    rateLimitPerMinute: 0,
    metrics: createMetrics({ defaultMetrics: false }),
    stream: {
      heartbeatMs: 200,
      countersIntervalMs: 200,
      countersWindowMs: 1_000,
      countersDelayMs: 0,
      ...stream,
    },
    ...extra,
  })
}

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  // the poll is slow here: what arrives within a second came by NOTIFY
  api = await start({ pollIntervalMs: 60_000 })
})
afterAll(async () => {
  await api?.close()
  await t?.destroy()
})

describe('/api/stream', () => {
  it('sends a new anomaly within a second of the commit that notifies', async () => {
    const client = await openSse(`${api.url}/api/stream`)
    try {
      expect(client.response.status).toBe(200)
      expect(client.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      await client.waitFor((e) => e.event === 'counters', 2_000, 'first counters')
      expect(client.retry).toBe(3_000)

      const store = createEtlStore(t.db, { groupId: 'etl' })
      const committedAt = performance.now()
      await store.commitBatch({
        logs: [],
        metrics: [],
        transactions: [],
        rejections: [],
        detectorStates: [],
        offsets: [{ topic: 'metrics', partition: 0, offset: 10 }],
        anomalies: [
          {
            id: 'stream-1',
            rule: 'high_cpu',
            key: 'checkout',
            topic: 'metrics',
            status: 'open',
            firstSeenMs: Date.now() - 1_000,
            lastSeenMs: Date.now(),
            value: 97,
            threshold: 85,
            eventCount: 2,
            comparator: '>',
            severity: 'warning',
          },
        ],
      })
      const opened = await client.waitFor(isAnomaly('stream-1', 'opened'), 1_000, 'the new anomaly')
      expect(opened.receivedAtMs - committedAt).toBeLessThan(1_000)
      expect(opened.id).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
      expect((opened.data as AnomalyEvent).anomaly).toMatchObject({
        rule: 'high_cpu',
        key: 'checkout',
        status: 'open',
        value: 97,
      })

      // resolved by the detector, then a raw update + NOTIFY like any other writer's
      await t.db.transaction(async (tx) => {
        await tx.query(
          `UPDATE anomalies SET status = 'resolved', resolved_at = now(), updated_at = now() WHERE id = 'stream-1'`,
        )
        await tx.query(`SELECT pg_notify('anomalies', '{}')`)
      })
      await client.waitFor(isAnomaly('stream-1', 'resolved'), 1_000, 'the resolution')
    } finally {
      await client.close()
    }
  })

  it('sends acknowledgements made through the API', async () => {
    const id = await insertAnomaly(t.db, { id: 'stream-ack', firstSeenMs: Date.now() - 5_000 })
    const client = await openSse(`${api.url}/api/stream?counters=false`)
    try {
      await fetch(`${api.url}/api/anomalies/${id}/ack`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ by: 'alice' }),
      })
      const acked = await client.waitFor(isAnomaly(id, 'acknowledged'), 1_000, 'the acknowledgement')
      expect((acked.data as AnomalyEvent).anomaly.acknowledged_by).toBe('alice')
      expect(client.events.every((e) => e.event !== 'counters')).toBe(true)
    } finally {
      await client.close()
    }
  })

  it('polls when no notification comes', async () => {
    const polling = await start({ pollIntervalMs: 300 })
    const client = await openSse(`${polling.url}/api/stream`)
    try {
      await client.waitFor((e) => e.event === 'counters', 2_000)
      await insertAnomaly(t.db, { id: 'stream-quiet', firstSeenMs: Date.now() - 1_000 })
      await client.waitFor(isAnomaly('stream-quiet', 'opened'), 1_500, 'the polled anomaly')
    } finally {
      await client.close()
      await polling.close()
    }
  })

  it('resumes after Last-Event-ID', async () => {
    const first = await openSse(`${api.url}/api/stream?counters=false`)
    let lastId: string
    try {
      await insertAnomaly(t.db, { id: 'resume-1', firstSeenMs: Date.now() - 3_000 })
      await t.db.query(`SELECT pg_notify('anomalies', '{}')`)
      lastId = (await first.waitFor(isAnomaly('resume-1'), 1_000)).id!
    } finally {
      await first.close()
    }
    // missed while disconnected
    await insertAnomaly(t.db, { id: 'resume-2', firstSeenMs: Date.now() - 2_000 })
    await t.db.query(
      `UPDATE anomalies SET status = 'resolved', resolved_at = now(), updated_at = now() WHERE id = 'resume-1'`,
    )

    for (const client of [
      await openSse(`${api.url}/api/stream?counters=false`, { ...AUTH, 'last-event-id': lastId }),
      await openSse(`${api.url}/api/stream?counters=false&last_event_id=${lastId}`),
    ]) {
      try {
        await client.waitFor(isAnomaly('resume-2', 'opened'), 1_000, 'the missed anomaly')
        await client.waitFor(isAnomaly('resume-1', 'resolved'), 1_000, 'the missed resolution')
        // each (anomaly, position) once
        const keys = client.events.map((e) => `${(e.data as AnomalyEvent).anomaly.id}@${e.id}`)
        expect(new Set(keys).size).toBe(keys.length)
      } finally {
        await client.close()
      }
    }
  })

  it('tells a client that resumes from too long ago to reload', async () => {
    const client = await openSse(
      `${api.url}/api/stream?counters=false&last_event_id=2020-01-01T00:00:00.000000Z`,
    )
    try {
      const reset = await client.waitFor((e) => e.event === 'reset', 1_000)
      expect(reset.data).toEqual({ reason: expect.stringContaining('reload') })
    } finally {
      await client.close()
    }
  })

  it('counts events per second and open anomalies, and sends heartbeats', async () => {
    const now = Date.now()
    await insertLogs(t.db, [{ tsMs: now - 100, level: 'ERROR' }, { tsMs: now - 200 }, { tsMs: now - 300 }])
    const client = await openSse(`${api.url}/api/stream?access_token=${TEST_TOKEN}`, {})
    try {
      const counters = await client.waitFor(
        (e) => e.event === 'counters' && (e.data as CountersEvent).per_second.logs > 0,
        2_000,
        'counters with the new logs',
      )
      const data = counters.data as CountersEvent
      expect(data).toMatchObject({
        window_ms: 1_000,
        per_second: { logs: 3, metrics: 0, transactions: 0 },
        errors_per_second: 1,
      })
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM anomalies WHERE status IN ('open', 'acknowledged')`,
      )
      expect(data.open_anomalies).toBe(rows[0]!.n)
      await client.waitFor(() => client.comments.includes('heartbeat'), 1_000, 'a heartbeat')
    } finally {
      await client.close()
    }
  })

  it('refuses clients beyond the limit, and closing the server ends every stream', async () => {
    const small = await start({ pollIntervalMs: 60_000 }, { limits: { maxStreamClients: 2 } })
    const a = await openSse(`${small.url}/api/stream`)
    const b = await openSse(`${small.url}/api/stream`)
    const refused = await fetch(`${small.url}/api/stream`, { headers: AUTH })
    expect(refused.status).toBe(503)
    expect(await refused.json()).toEqual({
      error: 'unavailable',
      message: expect.stringContaining('too many'),
    })
    const started = performance.now()
    await small.close()
    await Promise.all([a.done, b.done])
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})
