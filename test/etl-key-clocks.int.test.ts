// Event time per key, end to end on Kafka and PostgreSQL: services that share a partition (every
// topic has one) while their clocks disagree, one service's backlog delivered while the others
// are live, and events out of order by less and by more than the allowed lateness. The stored
// anomalies must equal the manifest written from each scenario's plan, ids, counts, peaks and
// resolution included (docs/detection.md, decision 0008).
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createKafkaBus } from '../src/adapters/kafka/kafka-bus.ts'
import { createEtlStore } from '../src/adapters/postgres/etl-store.ts'
import { migrate } from '../src/adapters/postgres/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../src/adapters/postgres/test-database.ts'
import { ALL_TOPICS, createTopicNames, type TopicNames } from '../src/contracts/topics.ts'
import { createCleanPolicy } from '../src/core/clean/index.ts'
import { createMetrics, type Metrics } from '../src/observability/metrics.ts'
import { runEtl } from '../src/pipelines/etl.ts'
import { waitFor } from '../src/pipelines/etl-test-kit.ts'
import type { Bus } from '../src/pipelines/ports.ts'
import {
  type PlannedEvent,
  publishPlanned,
  readScenarioAnomalies,
  resolvedManifest,
  SCENARIO_RULES,
  ServicePlan,
} from './support/key-clock-scenario.ts'
import { deleteTopics, TEST_BROKERS } from './support/processes.ts'

const SECOND = 1_000
const MINUTE = 60_000

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Harness {
  names: TopicNames
  bus: Bus
  database: TestDatabase
  metrics: Metrics
  logLines: string[]
  startWallMs: number
}

/** Fresh topics of one partition each, a fresh database, and the etl running in this process. */
async function startEtl(): Promise<Harness> {
  const names = createTopicNames(`keyclocks-${randomBytes(4).toString('hex')}.`)
  const bus = createKafkaBus({ brokers: TEST_BROKERS.split(','), clientId: 'etl-key-clocks-test' })
  cleanups.push(() => bus.close())
  await bus.ensureTopics(ALL_TOPICS.map(names.full), 1)
  cleanups.push(() => deleteTopics(names))
  const database = await createTestDatabase('pg')
  cleanups.push(() => database.destroy())
  await migrate(database.db)
  const metrics = createMetrics({ defaultMetrics: false })
  const logLines: string[] = []
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk))
        done()
      },
    }),
  )
  const controller = new AbortController()
  const etl = runEtl(
    {
      bus,
      store: createEtlStore(database.db, { groupId: names.group('etl') }),
      names,
      rules: SCENARIO_RULES,
      policy: createCleanPolicy(),
      logger,
      metrics,
      allowedLatenessMs: SECOND,
      idleGraceMs: SECOND,
      maxWaitMs: 100,
    },
    controller.signal,
  )
  cleanups.push(async () => {
    controller.abort()
    await etl
  })
  // the scenario's clock starts on a whole second, so that planned times read easily in a failure
  const startWallMs = Math.ceil((Date.now() + SECOND) / SECOND) * SECOND
  return { names, bus, database, metrics, logLines, startWallMs }
}

/** Publishes every plan's events at their time, then waits for the manifest's episodes to resolve. */
async function play(harness: Harness, plans: readonly ServicePlan[], events?: readonly PlannedEvent[]) {
  const producer = harness.bus.createProducer()
  cleanups.push(() => producer.close())
  await publishPlanned(producer, harness.names, events ?? plans.flatMap((p) => p.events), harness.startWallMs)
  const expected = resolvedManifest(plans)
  await waitFor(
    async () => {
      const stored = await readScenarioAnomalies(harness.database.db)
      return stored.filter((a) => a.status === 'resolved').length >= expected.length
    },
    90_000,
    'every episode of the manifest to be stored and resolved',
  ).catch(() => undefined) // the comparison below shows what is missing
  expect(await readScenarioAnomalies(harness.database.db)).toEqual(expected)
}

/** Bursts, threshold breaches and quiet periods over 24 s of the service's own clock. */
function liveService(service: string, clockMs: number, shiftMs: number): ServicePlan {
  return new ServicePlan(service, clockMs)
    .calm(0, 24 * SECOND)
    .burst(2 * SECOND + shiftMs, 25)
    .breach([
      [6 * SECOND + shiftMs, 90],
      [6.5 * SECOND + shiftMs, 95],
      [7 * SECOND + shiftMs, 91],
    ])
    .burst(14 * SECOND + shiftMs, 22, 30)
    .breach([[18 * SECOND + shiftMs, 99]])
}

describe('etl: event time per key, on Kafka and PostgreSQL', () => {
  it('detects every service sharing a partition with clocks 30 s, 90 s and 10 min apart, interleaved', async () => {
    const harness = await startEtl()
    const start = harness.startWallMs
    const plans = [
      liveService('svc-on-time', start, 0),
      liveService('svc-30s-behind', start - 30 * SECOND, 250),
      liveService('svc-90s-ahead', start + 90 * SECOND, 500),
      liveService('svc-10min-behind', start - 10 * MINUTE, 750),
    ]
    expect(plans.flatMap((p) => p.anomalies)).toHaveLength(16)
    await play(harness, plans)
    expect((await harness.metrics.lateEvents.get()).values).toEqual([])
  }, 180_000)

  it("detects one service's 15-minute backlog, delivered in order after a blip while the others are live", async () => {
    const harness = await startEtl()
    const start = harness.startWallMs
    const backlogFromMs = start - 15 * MINUTE
    // Live for 5 s from 15 min ago (its clock as the shipper stamped it), silent for 3 s, then the
    // remaining 15 minutes at once, in order; then live again on time.
    const shipper = new ServicePlan('svc-backlog', backlogFromMs)
      .calm(0, 15 * MINUTE)
      .burst(2 * SECOND, 24)
      .breach([
        [3 * MINUTE, 87],
        [3 * MINUTE + 2 * SECOND, 93],
      ])
      .burst(6 * MINUTE, 30, 100)
      .breach([[10 * MINUTE, 99]])
      .burst(14 * MINUTE + 50 * SECOND, 21)
      .deliverAllAt(8 * SECOND, 5 * SECOND)
    const tail = new ServicePlan('svc-backlog', start, 'svc-backlog-tail')
    tail.calm(8 * SECOND, 20 * SECOND).burst(12 * SECOND, 23)
    const plans = [
      shipper,
      tail,
      liveService('svc-live', start, 0),
      liveService('svc-live-90s-behind', start - 90 * SECOND, 400),
    ]
    expect(plans.flatMap((p) => p.anomalies)).toHaveLength(14)
    await play(harness, plans)
    expect((await harness.metrics.lateEvents.get()).values).toEqual([])
  }, 180_000)

  it('counts events out of order within the lateness; beyond it, they are late: counted in the metric and logged, not detected', async () => {
    const harness = await startEtl()
    const start = harness.startWallMs
    // 24 errors of which 4 arrive 600 ms after newer events of their service: all count
    const shuffled = new ServicePlan('svc-shuffled', start - 30 * SECOND)
      .calm(0, 20 * SECOND)
      .burst(3 * SECOND, 24)
    const errors = shuffled.events.filter((e) => e.level === 'ERROR')
    for (const e of errors.slice(5, 9)) e.publishAtMs += 600
    // 21 errors of which 2 arrive about 3 s after newer events of their service: late, so 19 count, and no burst
    const late = new ServicePlan('svc-late', start).calm(0, 20 * SECOND)
    const lateBurst = new ServicePlan('svc-late', start, 'svc-late-burst').burst(8 * SECOND, 21)
    for (const e of lateBurst.events.slice(3, 5)) e.publishAtMs = 11 * SECOND
    const events = [...shuffled.events, ...late.events, ...lateBurst.events]
    await play(harness, [shuffled, late], events)

    const topic = harness.names.full('logs')
    const counted = await harness.metrics.lateEvents.get()
    expect(counted.values.map(({ labels, value }) => ({ labels, value }))).toEqual([
      { labels: { topic, rule: 'error_burst' }, value: 2 },
    ])
    const behind = (await harness.metrics.lateEventsBehind.get()).values.filter((v) =>
      v.metricName?.endsWith('_bucket'),
    )
    const bucket = (le: number) =>
      behind.find((v) => (v.labels as Record<string, unknown>)['le'] === le)?.value
    expect([bucket(1), bucket(5)]).toEqual([0, 2]) // beyond the 1 s lateness, within 5 s
    const logged = harness.logLines.map((line) => JSON.parse(line)).filter((l) => l.rule === 'error_burst')
    // logged once (then at most once a minute), with the rule, the topic, a key and how late
    expect(logged).toEqual([
      expect.objectContaining({ topic, rule: 'error_burst', key: 'svc-late', allowedLatenessMs: SECOND }),
    ])
    expect(logged[0].lateEvents).toBeGreaterThanOrEqual(1)
    expect(logged[0].maxBehindMs).toBeGreaterThan(SECOND)
  }, 180_000)
})
