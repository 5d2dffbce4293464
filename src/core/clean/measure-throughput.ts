// A throughput check run by hand, not a test (timings depend on the machine and its load):
//   node src/core/clean/measure-throughput.ts [records=200000] [rounds=5]
// Cleans valid log records in batches of 1000 and prints records/s per round and the median, and
// the same for a bare TextDecoder + JSON.parse of the same bytes: the floor any cleaner pays, and a
// yardstick that holds when the machine is busy.
// Not part of the core's API: it reads the clock, which the core itself never does.

import { createCleanPolicy } from './clean-policy.ts'
import { cleanRecords } from './clean-record.ts'

const recordCount = Number(process.argv[2] ?? 200_000)
const rounds = Number(process.argv[3] ?? 5)
const batchSize = 1000
const nowMs = Date.parse('2025-01-01T12:00:00Z')
const policy = createCleanPolicy()
const encoder = new TextEncoder()
const services = ['auth-service', 'inventory-api', 'payments', 'search', 'gateway']
const levels = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'debug']

const records = Array.from({ length: recordCount }, (_, i) => ({
  topic: 'logs',
  partition: i % 6,
  offset: i,
  key: null,
  value: encoder.encode(
    JSON.stringify({
      timestamp: new Date(nowMs - 3_600_000 + (i % 3_600_000)).toISOString(),
      service: services[i % services.length],
      level: levels[i % levels.length],
      message: `User login failed for request ${i}`,
      user_id: i % 3 === 0 ? i : `u-${i % 977}`,
    }),
  ),
}))

const decoder = new TextDecoder('utf-8', { fatal: true })

function measure(name: string, cleanBatch: (batch: typeof records) => number): number {
  const perSecond: number[] = []
  for (let round = 0; round < rounds; round++) {
    let accepted = 0
    const startMs = performance.now()
    for (let i = 0; i < records.length; i += batchSize)
      accepted += cleanBatch(records.slice(i, i + batchSize))
    const elapsedMs = performance.now() - startMs
    if (accepted !== records.length) throw new Error(`expected every record accepted, got ${accepted}`)
    perSecond.push(Math.round((records.length / elapsedMs) * 1000))
  }
  const median = [...perSecond].sort((a, b) => a - b)[Math.floor(rounds / 2)]!
  console.log(`${name}: median ${median} records/s (rounds: ${perSecond.join(', ')})`)
  return median
}

const parseOnly = measure('decode + JSON.parse only', (batch) => {
  let parsed = 0
  for (const record of batch) if (JSON.parse(decoder.decode(record.value)) !== null) parsed++
  return parsed
})
const clean = measure('cleanRecords', (batch) => cleanRecords('log', batch, policy, nowMs).events.length)
console.log(
  `${records.length} log records; cleanRecords runs at ${((clean / parseOnly) * 100).toFixed(0)}% of bare parsing`,
)
