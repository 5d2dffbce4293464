// Bad input through the HTTP ingest API (POST /api/ingest/<topic>), as services send it: 10,000+
// malformed records of every kind (the hand-made ones and the generator's) between valid
// neighbours, in JSON arrays, NDJSON, gzip and deflate bodies and single objects, to `streamwatch
// api` with `streamwatch etl` behind it; and bodies whose framing is broken.
// Pass, as docs/api.md promises: every malformed record is answered `rejected` with the reason the
// cleaner gives and a message (207 beside valid neighbours, 422 alone); a body that cannot be read
// is refused whole with a 400 naming the body; every rejected record lands in dead letters with
// the reason the sender was given (the API publishes it with its verdict, the etl stores it);
// every valid neighbour is stored; no 5xx; both processes stay up and stop cleanly; no anomaly.
import { describe, expect, it } from 'vitest'
import type { IngestResponse } from '../../src/contracts/api.ts'
import { readTables, waitFor } from '../../src/pipelines/etl-test-kit.ts'
import { type CommandProcess, stopCommand } from '../support/processes.ts'
import { startApi } from './support/alerter-api-processes.ts'
import { faultsSizes } from './support/faults-mode.ts'
import { type IngestRequest, planIngest } from './support/ingest-plan.ts'
import {
  expectAlive,
  freshTopicNames,
  log,
  runScenario,
  type StackEnv,
  scenarioDatabase,
  startEtl,
} from './support/load-run.ts'

const sizes = faultsSizes()
const names = freshTopicNames('ingest')
const API_PORT = 19_850 + Math.floor(Math.random() * 100)
const BASE = `http://127.0.0.1:${API_PORT}`
const database = scenarioDatabase(names)

interface Answer {
  status: number
  body: string
}

async function post(topic: string, headers: Record<string, string>, body: Uint8Array): Promise<Answer> {
  const response = await fetch(`${BASE}/api/ingest/${topic}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
    signal: AbortSignal.timeout(60_000),
  })
  return { status: response.status, body: await response.text() }
}

/** What is wrong with the API's answer to `request`, record by record (empty: as promised). */
function problemsWith(request: IngestRequest, answer: Answer): string[] {
  const emptyBody = request.shape === 'single' && request.records[0]!.value.length === 0
  if (emptyBody) {
    // no event at all: the body is refused whole, and says why
    const error = JSON.parse(answer.body) as { error: string; message: string }
    return answer.status === 400 && error.message.startsWith('body:')
      ? []
      : [`empty body: ${answer.status} ${answer.body.slice(0, 200)}`]
  }
  const rejected = request.records.filter((r) => r.reason !== null).length
  const expectedStatus = rejected === 0 ? 200 : rejected === request.records.length ? 422 : 207
  if (answer.status !== expectedStatus)
    return [
      `${request.shape} ${request.topic}: ${answer.status}, expected ${expectedStatus}: ${answer.body.slice(0, 300)}`,
    ]
  const result = JSON.parse(answer.body) as IngestResponse
  if (result.results.length !== request.records.length)
    return [`${request.shape}: ${result.results.length} results for ${request.records.length} records`]
  const problems: string[] = []
  request.records.forEach((record, i) => {
    const got = result.results[i]!
    const want = record.reason === null ? 'accepted' : `rejected ${record.reason}`
    const seen = got.status === 'accepted' ? 'accepted' : `rejected ${got.reason}`
    if (got.index !== i || seen !== want)
      problems.push(`${record.label} (${request.shape}): ${seen}, expected ${want}`)
    else if (got.status === 'rejected' && !(got.message ?? '').trim())
      problems.push(`${record.label}: rejected without a message`)
  })
  return problems
}

/** The sum of a counter's samples in Prometheus text whose labels include every one of `labels`. */
function sumOf(metricsText: string, name: string, labels: string[]): number {
  return metricsText
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

describe('bad input through the ingest API', () => {
  it('answers every malformed record with its reason, stores every valid neighbour, never fails', async () => {
    let procs: CommandProcess[] = []
    await runScenario(
      {
        scenario: 'bad input via the ingest API',
        load: 'sequential POSTs, up to 600 records or 3 MB each',
        faults: 'pending',
      },
      async (outcome) => {
        const stack: StackEnv = { databaseUrl: database.options.url ?? '', topicPrefix: names.prefix }
        const api = await startApi(stack, { port: API_PORT })
        const etl = startEtl(stack)
        procs = [api, etl]
        const plan = planIngest(sizes.malformedRecords, Date.now(), 4242)
        const shapes = new Map<string, number>()
        for (const r of plan.requests) shapes.set(r.shape, (shapes.get(r.shape) ?? 0) + 1)
        outcome.faults =
          `${plan.malformed} malformed records (${plan.crafted} hand-made) among ${plan.valid} valid, in ` +
          `${plan.requests.length} requests (${[...shapes].map(([s, n]) => `${s} ${n}`).join(', ')}); ` +
          `${plan.framing.length} bodies with broken framing`
        outcome.events = plan.valid + plan.malformed
        log('ingest', outcome.faults)

        const problems: string[] = []
        const statuses = new Map<number, number>()
        let answeredRejected = 0
        const answeredReasons = new Map<string, number>()
        for (const [i, request] of plan.requests.entries()) {
          const answer = await post(request.topic, request.headers, request.body)
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          problems.push(...problemsWith(request, answer))
          if (answer.status === 207 || answer.status === 422) {
            const result = JSON.parse(answer.body) as IngestResponse
            answeredRejected += result.rejected
            for (const r of result.results) {
              if (r.status === 'rejected')
                answeredReasons.set(r.reason!, (answeredReasons.get(r.reason!) ?? 0) + 1)
            }
          }
          if (i % 100 === 0) {
            expectAlive(api, 'the API')
            expectAlive(etl, 'the etl')
          }
        }
        for (const framing of plan.framing) {
          const answer = await post(framing.topic, framing.headers, framing.body)
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          const error = answer.status === 400 ? (JSON.parse(answer.body) as { message: string }) : undefined
          if (!error?.message.startsWith('body:'))
            problems.push(`${framing.name}: ${answer.status} ${answer.body.slice(0, 200)}`)
        }
        log('ingest', `answers: ${[...statuses].map(([s, n]) => `${s} x${n}`).join(', ')}`)
        expect(problems.slice(0, 20), `${problems.length} answers not as promised`).toEqual([])
        expect(
          [...statuses.keys()].filter((s) => s >= 500),
          '5xx answers',
        ).toEqual([])

        // the valid neighbours reach PostgreSQL through Kafka and the etl
        await waitFor(
          async () => {
            expectAlive(api, 'the API')
            expectAlive(etl, 'the etl')
            const tables = await readTables(database.db)
            return tables.rows + tables.deadLetters >= plan.valid + answeredRejected
          },
          180_000,
          `${plan.valid} valid records and ${answeredRejected} dead letters stored`,
        )
        // a little longer: anything published beyond the valid records would show up now
        await new Promise((resolve) => setTimeout(resolve, 3_000))
        const metricsText = await (await fetch(`${BASE}/metrics`)).text()
        expectAlive(api, 'the API')
        expectAlive(etl, 'the etl')
        expect(await stopCommand(etl, 'SIGTERM'), 'the etl stops cleanly').toBe(0)
        expect(await stopCommand(api, 'SIGTERM'), 'the API stops cleanly').toBe(0)

        const tables = await readTables(database.db)
        outcome.lost = Math.max(0, plan.valid - tables.rows)
        outcome.duplicates = Math.max(0, tables.rows - plan.valid)
        expect(tables.rows, 'valid records stored').toBe(plan.valid)
        const { rows: letters } = await database.db.query<{ reason: string; n: string }>(
          `SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason`,
        )
        expect(
          new Map(letters.map((l) => [l.reason, Number(l.n)])),
          'dead letters by reason = the rejections answered',
        ).toEqual(answeredReasons)
        expect(tables.anomalies, 'anomalies (none injected)').toEqual([])
        const { rows: stored } = await database.db.query<{ event_id: string }>(
          `SELECT event_id FROM logs UNION ALL SELECT event_id FROM metrics UNION ALL SELECT event_id FROM transactions`,
        )
        const storedIds = new Set(stored.map((r) => r.event_id))
        expect(
          [...plan.eventIds].filter((id) => !storedIds.has(id)).slice(0, 10),
          'valid events missing',
        ).toEqual([])
        const framingIds = plan.framing.flatMap((f) => f.eventIds)
        expect(
          framingIds.filter((id) => storedIds.has(id)),
          'events of a refused body stored',
        ).toEqual([])
        // every rejection counted by the API, by reason
        const emptyBodies = plan.requests.filter(
          (r) => r.shape === 'single' && r.records[0]!.value.length === 0,
        )
        expect(answeredRejected).toBe(plan.malformed - emptyBodies.length)
        expect(
          sumOf(metricsText, 'streamwatch_events_rejected_total', ['stage="ingest"']),
          'events_rejected_total{stage="ingest"}',
        ).toBe(answeredRejected)
        outcome.notes =
          `${answeredRejected} malformed answered "rejected" with the expected reason (207/422), ` +
          `${emptyBodies.length} empty records and ${plan.framing.length} broken bodies refused with a 400 naming the body; ` +
          `${plan.valid} valid stored; ${answeredRejected} dead letters, by reason as answered; 0 anomalies; ` +
          `no 5xx; api and etl exited 0`
      },
    ).finally(async () => {
      await Promise.all(procs.map((p) => stopCommand(p, 'SIGKILL')))
    })
  })
})
