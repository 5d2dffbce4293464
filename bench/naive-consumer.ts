// The baseline "first version" consumer: for each message, parse it and INSERT one row, awaiting
// each statement (autocommit: one transaction per event). No batching, no cleaning beyond what the
// INSERT needs. Run by the benchmark as a child process:
//   node bench/naive-consumer.ts <brokers> <topic,topic...> <databaseUrl> <maxRecords>
// prints one JSON line: { records, seconds, firstRecordSeconds }.
import { Consumer } from '@platformatic/kafka'
import pg from 'pg'

const [brokers, topicList, databaseUrl, maxText] = process.argv.slice(2)
if (!brokers || !topicList || !databaseUrl || !maxText) {
  process.stderr.write('usage: naive-consumer.ts <brokers> <topics> <databaseUrl> <maxRecords>\n')
  process.exit(2)
}
const maxRecords = Number(maxText)
const topics = topicList.split(',')

const INSERTS: Record<
  string,
  (id: string, e: Record<string, unknown>, where: unknown[]) => [string, unknown[]]
> = {
  logs: (id, e, where) => [
    `INSERT INTO logs (event_id, ts, service, level, message, user_id, topic, partition, "offset")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
    [id, e.timestamp, e.service, e.level, e.message, e.user_id ?? null, ...where],
  ],
  metrics: (id, e, where) => [
    `INSERT INTO metrics (event_id, ts, service, cpu, latency_ms, topic, partition, "offset")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [id, e.timestamp, e.service, e.cpu, e.latency_ms, ...where],
  ],
  transactions: (id, e, where) => [
    `INSERT INTO transactions (event_id, ts, transaction_id, user_id, amount, currency, merchant, status,
         topic, partition, "offset")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [
      id,
      e.timestamp,
      e.transaction_id,
      e.user_id,
      e.amount,
      e.currency,
      e.merchant ?? null,
      e.status ?? null,
      ...where,
    ],
  ],
}

const client = new pg.Client({ connectionString: databaseUrl })
await client.connect()
const consumer = new Consumer({
  clientId: 'bench-naive',
  groupId: `bench-naive-${Date.now()}`,
  bootstrapBrokers: brokers.split(','),
})
const startedAt = performance.now()
let firstAt = 0
let records = 0
const stream = await consumer.consume({ topics, mode: 'earliest', autocommit: false })
for await (const message of stream) {
  if (firstAt === 0) firstAt = performance.now()
  // topics are named <prefix>logs etc., with a prefix ending in '.'
  const insert = INSERTS[message.topic.split('.').at(-1)!]
  if (insert) {
    try {
      const event = JSON.parse(Buffer.from(message.value as Uint8Array).toString('utf8'))
      const [sql, params] = insert(`${message.topic}/${message.partition}/${message.offset}`, event, [
        message.topic,
        message.partition,
        String(message.offset),
      ])
      await client.query(sql, params)
    } catch {
      // a naive consumer drops what it cannot insert
    }
  }
  if (++records >= maxRecords) break
}
const endedAt = performance.now()
process.stdout.write(
  `${JSON.stringify({ records, seconds: (endedAt - firstAt) / 1000, firstRecordSeconds: (firstAt - startedAt) / 1000 })}\n`,
)
await stream.close().catch(() => undefined)
await consumer.close(true).catch(() => undefined)
await client.end()
process.exit(0)
