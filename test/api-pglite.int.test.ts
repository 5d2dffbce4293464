// The same API on embedded PGlite (DATABASE_URL unset): a smaller tour of the routes, with the
// same seeded data and the same answers as on PostgreSQL.
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
} from '../src/api/api-test-kit.ts'
import { createAnomalyFeed, type FeedChange } from '../src/api/stream/anomaly-feed.ts'
import type { Anomaly, AnomalyDetail, LogItem, Page, Stats, Timeseries } from '../src/contracts/api.ts'
import { silentLogger } from '../src/observability/logger.ts'

const NOW = Math.floor(Date.now() / 1000) * 1000
let t: TestDatabase
let app: ApiInstance

beforeAll(async () => {
  t = await createApiTestDatabase('pglite')
  await seedApiData(t.db, NOW)
  app = await buildTestApp(t.db, { now: () => NOW })
})
afterAll(async () => {
  await app?.close()
  await t?.destroy()
})

describe('the API on PGlite', () => {
  it('lists, filters and pages logs', async () => {
    const { body } = await getJson<Page<LogItem>>(
      app,
      '/api/logs?service=checkout&level=ERROR,INFO&q=request',
    )
    expect(body.items.length).toBeGreaterThan(0)
    expect(body.items.every((i) => i.service === 'checkout' && i.message.includes('request'))).toBe(true)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: Page<LogItem> } = await getJson<Page<LogItem>>(
        app,
        `/api/logs?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      )
      seen.push(...page.body.items.map((i) => i.event_id))
      cursor = page.body.next_cursor
    } while (cursor)
    const { rows } = await t.db.query<{ id: string }>(
      `SELECT event_id AS id FROM logs WHERE ts >= $1 ORDER BY ts DESC, event_id DESC`,
      [new Date(NOW - 60 * MINUTE)],
    )
    expect(seen).toEqual(rows.map((r) => r.id))
  })

  it('lists anomalies and gives one with its events', async () => {
    const { body } = await getJson<Page<Anomaly>>(app, '/api/anomalies')
    expect(body.items.map((a) => a.id)).toEqual(['an-open', 'an-large', 'an-ack', 'an-resolved'])
    const detail = await getJson<AnomalyDetail>(app, '/api/anomalies/an-resolved?matching=true')
    expect(detail.body.events.map((e) => e.event_id)).toEqual(['burst-1'])
  })

  it('acknowledges, and manages silences', async () => {
    const ack = await app.inject({
      method: 'POST',
      url: '/api/anomalies/an-open/ack',
      headers: AUTH,
      payload: { by: 'eve' },
    })
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledged_by: 'eve' })
    const silence = await app.inject({
      method: 'POST',
      url: '/api/silences',
      headers: AUTH,
      payload: { rule: 'high_cpu', duration: '1h', created_by: 'eve' },
    })
    expect(silence.statusCode).toBe(201)
    const ended = await app.inject({
      method: 'DELETE',
      url: `/api/silences/${silence.json().id}`,
      headers: AUTH,
    })
    expect(ended.statusCode).toBe(204)
  })

  it('computes stats and series as PostgreSQL does', async () => {
    const stats = await getJson<Stats>(app, '/api/stats')
    expect(stats.body.topics.map((x) => x.events)).toEqual([35, 20, 15])
    expect(stats.body.errors).toEqual({ logs: 35, errors: 7, ratio: 7 / 35 })
    const cpu = await getJson<Timeseries>(app, '/api/timeseries?series=cpu&bucket=1h&from=-1h')
    expect(cpu.body.points.reduce((n, p) => n + p.count, 0)).toBe(20)
    expect(Math.max(...cpu.body.points.map((p) => p.max ?? 0))).toBe(96)
  })

  it('validates as on PostgreSQL', async () => {
    await expectBadRequest(app, '/api/logs?limit=0', 'limit')
    await expectBadRequest(app, `/api/logs?service=${encodeURIComponent("' OR 1=1 --")}&bogus=1`, 'bogus')
    const injected = await getJson<Page<LogItem>>(
      app,
      `/api/logs?service=${encodeURIComponent("' OR '1'='1")}`,
    )
    expect(injected.body.items).toEqual([])
  })

  it('hears of anomaly changes through PGlite LISTEN', async () => {
    const feed = createAnomalyFeed({
      db: t.db,
      logger: silentLogger,
      lookbackMs: 30_000,
      pollIntervalMs: 60_000,
    })
    await feed.start()
    const changes: FeedChange[] = []
    const unsubscribe = feed.subscribe((c) => changes.push(c))
    try {
      await app.inject({
        method: 'POST',
        url: '/api/anomalies/an-ack/ack',
        headers: AUTH,
        payload: { by: 'pat' },
      })
      const deadline = Date.now() + 2_000
      while (!changes.some((c) => c.event.anomaly.id === 'an-ack') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20))
      }
      expect(changes.find((c) => c.event.anomaly.id === 'an-ack')?.event.change).toBe('acknowledged')
    } finally {
      unsubscribe()
      await feed.stop()
    }
  })
})
