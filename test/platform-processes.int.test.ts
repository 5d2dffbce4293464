// The second end-to-end test of issue 8: the parts of streamwatch as separate processes (etl,
// lake-sink, alerter, api, produce) on the real broker, PostgreSQL, the S3 server and a local
// Slack receiver, following one injected anomaly, a transaction over 10,000, from the producer to
// the lake, the anomalies table, the API, the receiver and the dashboard.
//
// The producer is the CLI. What it injects is known before it starts: the generator is
// deterministic, so the same seed, start and rate regenerate its stream here, message for
// message; the manifest the producer writes must agree.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3ObjectStore } from '../src/adapters/s3/s3-object-store.ts'
import type { Anomaly, AnomalyDetail, Page, Stats } from '../src/contracts/api.ts'
import { anomalyId } from '../src/core/detect/index.ts'
import type { AnomalyEpisode } from '../src/core/generate/anomaly-injector.ts'
import { createEventStream, type GenerationManifest } from '../src/core/generate/event-stream.ts'
import { readLake } from '../src/pipelines/lake-test-kit.ts'
import { freePort } from './support/free-port.ts'
import {
  createPlatformStack,
  type Part,
  type PlatformStack,
  pollFor,
  startBoundedPart,
  startPart,
  stopParts,
  waitForExit,
} from './support/platform-stack.ts'
import { ensureDashboardBuilt, launchBrowser } from './web/dashboard-test-kit.ts'

// 12 s of paced events; this seed injects its first large transaction about 5 s in. The test
// takes about 20 s alone; the timeout leaves room for a machine shared with the fault suite.
const SEED = 2024
const RATE_PER_SECOND = 100
const COUNT = 1_200
const ANOMALY_RATIO = 0.005

let stack: PlatformStack | undefined
const parts: Part[] = []

beforeAll(async () => {
  await ensureDashboardBuilt()
  stack = await createPlatformStack()
})
afterAll(async () => {
  // whatever a failed test left running
  await stopParts(parts, 30_000)
  await stack?.destroy()
})

interface PlannedTransaction {
  /** the anomaly id the detector must give it */
  id: string
  episode: AnomalyEpisode
  /** the message on the transactions topic, as the producer sends it */
  value: string
  userId: string
  amount: number
  manifest: GenerationManifest
}

/** The first large transaction the producer will inject, regenerated from its options. */
function planLargeTransaction(startMs: number): PlannedTransaction {
  const stream = createEventStream({
    seed: SEED,
    startMs,
    eventRatePerSecond: RATE_PER_SECOND,
    anomalyRatio: ANOMALY_RATIO,
  })
  const events = stream.take(COUNT)
  const manifest = stream.manifest()
  const episode = manifest.anomalies.find((a) => a.rule === 'large_transaction')
  if (!episode) throw new Error(`seed ${SEED} injects no large transaction in ${COUNT} events: pick another`)
  const injected = events.filter((e) => e.injected === episode.id)
  expect(injected).toHaveLength(1)
  const event = injected[0]!
  if (event.topic !== 'transactions' || typeof event.value !== 'string') throw new Error('not a transaction')
  const fields = JSON.parse(event.value) as { transaction_id: string; user_id: string; amount: number }
  expect(fields.transaction_id).toBe(episode.key)
  expect(fields.amount).toBeGreaterThan(10_000)
  return {
    id: anomalyId('large_transaction', episode.key, episode.firstSeenMs),
    episode,
    value: event.value,
    userId: fields.user_id,
    amount: fields.amount,
    manifest,
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

const pick = (a: AnomalyEpisode) => ({ rule: a.rule, key: a.key, firstSeenMs: a.firstSeenMs, peak: a.peak })

describe('streamwatch as separate processes on Kafka, PostgreSQL, S3 and a Slack receiver', () => {
  it('follows one injected large transaction to the lake, PostgreSQL, the API, Slack and the dashboard', async () => {
    const { env, names, database, receiver, apiUrl } = stack!
    const db = database.db

    const migrate = startBoundedPart('migrate', [], env)
    const migrated = await waitForExit(migrate, 90_000)
    expect(migrated, migrate.stderr()).toBe(0)

    // the workers serve /metrics and /healthz on ports of their own, for Prometheus
    const metricsUrls = new Map<string, string>()
    for (const command of ['etl', 'lake-sink', 'alerter']) {
      const port = await freePort()
      metricsUrls.set(command, `http://127.0.0.1:${port}`)
      parts.push(startPart(command, { ...env, METRICS_PORT: String(port) }))
    }
    parts.push(startPart('api', env))
    await pollFor(
      'the api to listen',
      async () => ((await fetch(`${apiUrl}/healthz`)).ok ? true : undefined),
      90_000,
      parts,
    )

    // event time follows the wall clock from here, as a live producer's does
    const startMs = Date.now()
    const planned = planLargeTransaction(startMs)
    const { key, firstSeenMs } = planned.episode
    const manifestPath = join(stack!.dataDir, 'produce-manifest.json')
    const produce = startBoundedPart(
      'produce',
      // biome-ignore format: option and value on one line
      [
        '--seed', String(SEED),
        '--start', new Date(startMs).toISOString(),
        '--rate', String(RATE_PER_SECOND),
        '--count', String(COUNT),
        '--anomalies', String(ANOMALY_RATIO),
        '--manifest', manifestPath,
      ],
      env,
    )
    parts.push(produce)

    // PostgreSQL: the etl detected it, with the id, time and peak the injection implies
    const row = await pollFor(
      `anomaly ${planned.id} in PostgreSQL`,
      async () => {
        const { rows } = await db.query<{
          rule: string
          key: string
          status: string
          first_ms: string
          value: number
          event_count: string
        }>(
          `SELECT rule, key, status, (extract(epoch FROM first_seen) * 1000)::bigint AS first_ms, value,
                  event_count FROM anomalies WHERE id = $1`,
          [planned.id],
        )
        return rows[0]
      },
      90_000,
      parts,
    )
    expect({ ...row, first_ms: Number(row.first_ms), event_count: Number(row.event_count) }).toEqual({
      rule: 'large_transaction',
      key,
      status: 'open',
      first_ms: firstSeenMs,
      value: planned.amount,
      event_count: 1,
    })

    // the lake: the producer's message once, byte for byte, keyed by the user
    const store = createS3ObjectStore(stack!.lake)
    const archived = await (async () => {
      try {
        return await pollFor(
          'the transaction in the lake',
          async () => {
            const lake = await readLake(store, [names.full('transactions')])
            const found = [...lake.records.values()].filter(
              (r) => r.value !== null && Buffer.from(r.value).toString('utf8') === planned.value,
            )
            return found.length > 0 ? { lake, found } : undefined
          },
          90_000,
          parts,
        )
      } finally {
        await store.close()
      }
    })()
    expect(archived.lake.problems).toEqual([])
    expect(archived.lake.repeats).toEqual([])
    expect(archived.found).toHaveLength(1)
    const record = archived.found[0]!
    expect(Buffer.from(record.key ?? []).toString('utf8')).toBe(planned.userId)
    const position = { topic: record.topic, partition: record.partition, offset: record.offset }

    // PostgreSQL's row of the transaction was read from the same place as the lake's record
    const { rows: transactions } = await db.query<{
      user_id: string
      amount: string
      topic: string
      partition: number
      offset: string
    }>(
      `SELECT user_id, amount::text, topic, partition, "offset"::text FROM transactions WHERE transaction_id = $1`,
      [key],
    )
    expect(
      transactions.map((t) => ({
        userId: t.user_id,
        amount: Number(t.amount),
        position: { topic: t.topic, partition: t.partition, offset: Number(t.offset) },
      })),
    ).toEqual([{ userId: planned.userId, amount: planned.amount, position }])

    // the API process serves it from PostgreSQL
    const listed = await getJson<Page<Anomaly>>(
      `${apiUrl}/api/anomalies?rule=large_transaction&key=${encodeURIComponent(key)}`,
    )
    expect(listed.items.map((a) => a.id)).toEqual([planned.id])
    const detail = await getJson<AnomalyDetail>(`${apiUrl}/api/anomalies/${planned.id}`)
    expect(detail.anomaly).toMatchObject({ rule: 'large_transaction', key, value: planned.amount })
    expect(Date.parse(detail.anomaly.first_seen)).toBe(firstSeenMs)
    const events = detail.events.flatMap((e) =>
      e.kind === 'transaction' && e.transaction_id === key ? [{ amount: e.amount, source: e.source }] : [],
    )
    expect(events).toEqual([{ amount: planned.amount, source: position }])

    // the receiver: one message about it, naming it and linking to it in the dashboard
    await pollFor(
      'the anomaly to be marked notified',
      async () => {
        const { rows } = await db.query<{ notified: boolean }>(
          'SELECT notified_at IS NOT NULL AS notified FROM anomalies WHERE id = $1',
          [planned.id],
        )
        return rows[0]?.notified ? true : undefined
      },
      90_000,
      parts,
    )
    const mentioning = () =>
      receiver.requests.filter((r) => {
        const text = JSON.stringify(r.message ?? null)
        return text.includes(key) || text.includes(planned.id)
      })
    expect(mentioning()).toHaveLength(1)
    const message = mentioning()[0]!
    expect(message.problems).toEqual([])
    expect(message.delivered).toBe(true)
    expect(message.firingIds).toContain(planned.id)
    const link = `${apiUrl}/anomalies/${planned.id}`
    expect(JSON.stringify(message.message)).toContain(`<${link}|${key}>`)

    // the dashboard, served by the api process, from the link in the message
    const browser = await launchBrowser()
    try {
      const page = await browser.newPage()
      await page.goto(link)
      await page
        .locator('#anomaly-title', { hasText: `large_transaction on ${key}` })
        .waitFor({ timeout: 30_000 })
      await page
        .locator('table[data-table="events"] tbody tr', { hasText: `${key}:` })
        .waitFor({ timeout: 30_000 })
      const notified = (await page.locator('dt:text-is("Notified") + dd').textContent())?.trim()
      expect(notified).not.toBe('not yet')
      await page.goto(`${apiUrl}/anomalies`)
      await page
        .locator(`table[data-table="anomalies"] tr[data-anomaly-id="${planned.id}"]`, { hasText: key })
        .waitFor({ timeout: 30_000 })
    } finally {
      await browser.close()
    }

    // the producer ends by itself, having injected what was planned
    expect(await waitForExit(produce, 60_000), produce.stderr()).toBe(0)
    const written = JSON.parse(await readFile(manifestPath, 'utf8')) as GenerationManifest
    expect(written.events).toBe(COUNT)
    expect(written.anomalies.map(pick)).toEqual(planned.manifest.anomalies.map(pick))

    // the api process runs no consumer, yet tells the etl's lag: its stored positions against the
    // log ends, down to 0 once the etl has read everything produced
    const etlGroup = names.group('etl')
    await pollFor(
      "the etl's lag to reach 0 in /api/stats",
      async () => {
        const stats = await getJson<Stats>(`${apiUrl}/api/stats`)
        const lag = stats.pipeline.find((g) => g.group === etlGroup)?.lag_records
        return lag === 0 ? true : undefined
      },
      60_000,
      parts,
    )

    // every worker counts what it made durable on its own /metrics: rows, lake objects, Slack messages
    const writtenBy = async (part: string, stage: string, topic: string) => {
      const health = await fetch(`${metricsUrls.get(part)}/healthz`)
      expect(health.status).toBe(200)
      const text = await (await fetch(`${metricsUrls.get(part)}/metrics`)).text()
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`streamwatch_events_written_total{stage="${stage}",topic="${topic}"}`))
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    expect(await writtenBy('etl', 'etl', names.full('transactions'))).toBeGreaterThan(0)
    expect(await writtenBy('lake-sink', 'lake', names.full('transactions'))).toBeGreaterThan(0)
    expect(await writtenBy('alerter', 'alert', 'slack')).toBeGreaterThanOrEqual(1)

    const codes = await stopParts(
      parts.filter((p) => !p.bounded),
      60_000,
    )
    expect(codes, parts.map((p) => `${p.name}:\n${p.stderr().slice(-1_500)}`).join('\n')).toEqual({
      etl: 0,
      'lake-sink': 0,
      alerter: 0,
      api: 0,
    })
    // nothing more about it on the way out
    expect(mentioning()).toHaveLength(1)
  }, 240_000)
})
