// Bad input through Kafka: 10,000+ malformed records of every kind (hand-made ones with their
// expected reasons, and the generator's), interleaved with valid neighbours, into one etl.
// Pass: each bad record is one dead letter with the right reason, every valid record is stored
// (the odd-but-valid ones unchanged), the etl never exits, and no anomaly is found (none injected).
import { describe, expect, it } from 'vitest'
import { createKafkaBus } from '../../src/adapters/kafka/kafka-bus.ts'
import { ALL_TOPICS } from '../../src/contracts/topics.ts'
import { createEventStream } from '../../src/core/generate/event-stream.ts'
import { EXPECTED_REJECT_REASON, type MalformedTag } from '../../src/core/generate/malformed.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { readTables } from '../../src/pipelines/etl-test-kit.ts'
import type { OutgoingRecord } from '../../src/pipelines/ports.ts'
import { stopCommand, TEST_BROKERS } from '../support/processes.ts'
import { BAD_RECORDS } from './support/bad-records.ts'
import { faultsSizes } from './support/faults-mode.ts'
import {
  expectAlive,
  freshTopicNames,
  log,
  PARTITIONS,
  runScenario,
  scenarioDatabase,
  startEtl,
} from './support/load-run.ts'

const sizes = faultsSizes()
const names = freshTopicNames('badinput')
const database = scenarioDatabase(names)

interface Plan {
  records: OutgoingRecord[]
  /** Kafka key of each hand-made bad record -> its expected reason */
  crafted: Map<string, string>
  /** reason -> dead letters expected with it */
  reasons: Map<string, number>
  valid: number
  malformed: number
}

/**
 * Generated events (a quarter of them the generator's malformed kinds) with a hand-made record
 * after every third: the hand-made ones cycle through BAD_RECORDS until `malformedTarget` bad
 * records in all.
 */
function plan(malformedTarget: number, nowMs: number): Plan {
  const stream = createEventStream({
    seed: 777,
    startMs: nowMs - 60_000,
    eventRatePerSecond: 500,
    malformedRatio: 0.25,
  })
  const nowIso = new Date(nowMs).toISOString()
  const records: OutgoingRecord[] = []
  const crafted = new Map<string, string>()
  const reasons = new Map<string, number>()
  const count = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  let valid = 0
  let malformed = 0
  for (let i = 0; malformed < malformedTarget; i++) {
    const event = stream.next()
    records.push({
      topic: names.full(event.topic),
      key: event.key,
      value: event.value,
      timestampMs: event.eventTimeMs,
    })
    if (event.malformed) {
      malformed++
      count(EXPECTED_REJECT_REASON[event.malformed as MalformedTag])
    } else valid++
    if (i % 3 === 2) {
      const bad = BAD_RECORDS[((i / 3) % BAD_RECORDS.length) | 0]!
      const key = `bad-${i}`
      records.push({ topic: names.full(bad.topic), key, value: bad.value(nowIso), timestampMs: nowMs })
      if (bad.reason === null) valid++
      else {
        malformed++
        count(bad.reason)
        crafted.set(key, bad.reason)
      }
    }
  }
  return { records, crafted, reasons, valid, malformed }
}

describe('bad input through Kafka', () => {
  it('dead-letters every malformed record with its reason and stores every valid neighbour', async () => {
    await runScenario(
      {
        scenario: 'bad input via Kafka',
        load: 'as fast as the broker takes it',
        faults: `malformed records: ${BAD_RECORDS.filter((b) => b.reason).length} hand-made kinds + 17 generated kinds`,
      },
      async (outcome) => {
        const nowMs = Date.now()
        const { records, crafted, reasons, valid, malformed } = plan(sizes.malformedRecords, nowMs)
        outcome.events = records.length
        log('badinput', `${records.length} records: ${malformed} malformed, ${valid} valid`)
        const bus = createKafkaBus({
          brokers: [TEST_BROKERS],
          clientId: 'faults-badinput',
          logger: silentLogger,
        })
        try {
          await bus.ensureTopics(ALL_TOPICS.map(names.full), PARTITIONS)
          const producer = bus.createProducer()
          for (let i = 0; i < records.length; i += 500) await producer.publish(records.slice(i, i + 500))
          await producer.close()
        } finally {
          await bus.close()
        }
        const etl = startEtl({ databaseUrl: database.options.url ?? '', topicPrefix: names.prefix })
        const deadline = Date.now() + 180_000
        for (;;) {
          expectAlive(etl, 'the etl')
          const tables = await readTables(database.db)
          if (tables.rows + tables.deadLetters >= records.length) break
          if (Date.now() > deadline)
            throw new Error(`timed out: ${tables.rows + tables.deadLetters} of ${records.length}`)
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
        // a little longer: anything beyond the expected count would show up now
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        expectAlive(etl, 'the etl')
        expect(await stopCommand(etl, 'SIGTERM')).toBe(0)

        const tables = await readTables(database.db)
        outcome.lost = Math.max(0, records.length - tables.rows - tables.deadLetters)
        outcome.duplicates = Math.max(0, tables.rows + tables.deadLetters - records.length)
        expect(tables.rows).toBe(valid)
        expect(tables.deadLetters).toBe(malformed)
        expect(tables.anomalies).toEqual([])

        const { rows: byReason } = await database.db.query<{ reason: string; n: string }>(
          'SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY reason',
        )
        expect(Object.fromEntries(byReason.map((r) => [r.reason, Number(r.n)]))).toEqual(
          Object.fromEntries([...reasons].sort(([a], [b]) => a.localeCompare(b))),
        )
        const { rows: handMade } = await database.db.query<{ key: string; reason: string; message: string }>(
          `SELECT convert_from(key, 'UTF8') AS key, reason, message FROM dead_letters WHERE key IS NOT NULL
             AND position('bad-'::bytea IN key) = 1`,
        )
        const wrong = handMade.filter((d) => crafted.get(d.key) !== d.reason)
        expect(wrong.slice(0, 5)).toEqual([])
        expect(handMade.length).toBe(crafted.size)
        for (const d of handMade) expect(d.message.length, d.key).toBeGreaterThan(0)

        // the odd-but-valid ones are stored as sent
        const { rows: slack } = await database.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM logs WHERE message = $1`,
          ['<!channel> <@U123> *bold* <https://evil.example|click> &amp; `code`'],
        )
        expect(Number(slack[0]!.n)).toBe(
          records.filter((r) => typeof r.value === 'string' && r.value.includes('<!channel>')).length,
        )
        const { rows: tablesLeft } = await database.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'logs'`,
        )
        expect(Number(tablesLeft[0]!.n)).toBe(1)
        outcome.notes = `${malformed} malformed (${crafted.size} hand-made) all dead-lettered with the expected reason; ${valid} valid stored; 0 anomalies; etl exited 0`
      },
    )
  })
})
