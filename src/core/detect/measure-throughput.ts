// A throughput check run by hand, not a test (timings depend on the machine and its load):
//   node src/core/detect/measure-throughput.ts [events=1000000] [rounds=3]
// Feeds mixed events (40% logs, 40% metrics, 20% transactions; 30 services; event time at
// 10,000 events/s with up to 5 s of disorder) in batches of 1000 to one partition's detector, with
// the built-in rules and then with rules that buffer every reading (`for`, `recovery`), and prints
// events/s, anomaly changes, and the serialised state's size (and time to serialise) at the end.
// Not part of the core's API: it reads the clock, which the core itself never does.
import type { Event } from '../../contracts/events.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import { detect } from './detect.ts'
import { createDetectorState } from './detector-state.ts'
import type { Rule } from './rule.ts'
import { serializeState } from './serialize-state.ts'

const eventCount = Number(process.argv[2] ?? 1_000_000)
const rounds = Number(process.argv[3] ?? 3)
const batchSize = 1000
const T0 = Date.parse('2025-01-01T10:00:00Z')
const source = { topic: 'bench', partition: 0, offset: 0 }

let seed = 42
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}
const services = Array.from({ length: 30 }, (_, i) => `service-${i}`)
const events: Event[] = Array.from({ length: eventCount }, (_, i): Event => {
  const tsMs = T0 + Math.floor(i / 10) - Math.floor(random() * 5_000)
  const service = services[i % services.length]!
  const base = { eventId: `bench/0/${i}`, tsMs, source, attributes: {} }
  const pick = i % 5
  if (pick < 2) {
    const level = random() < 0.1 ? 'ERROR' : 'INFO'
    return { ...base, kind: 'log', service, level, message: 'request failed', userId: null }
  }
  if (pick < 4) {
    return { ...base, kind: 'metric', service, cpu: 40 + random() * 50, latencyMs: 100 + random() * 320 }
  }
  const amount = random() < 0.001 ? 20_000 : random() * 500
  return {
    ...base,
    kind: 'transaction',
    transactionId: `t-${i}`,
    userId: `u-${i % 5000}`,
    amount,
    currency: 'USD',
    merchant: null,
    status: null,
  }
})

const bufferingRules: Rule[] = [
  ...DEFAULT_RULES,
  {
    kind: 'threshold',
    name: 'cpu_sustained',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
    forMs: 30_000,
    recovery: 75,
    keyBy: 'service',
    severity: 'critical',
  },
  {
    kind: 'count',
    name: 'log_flood',
    topic: 'logs',
    keyBy: 'service',
    windowMs: 10_000,
    threshold: 400,
    recovery: 300,
    severity: 'info',
  },
]

for (const [label, rules] of [
  ['built-in rules', DEFAULT_RULES],
  ['built-in + buffering rules', bufferingRules],
] as const) {
  const perSecond: number[] = []
  for (let round = 0; round < rounds; round++) {
    const state = createDetectorState()
    let changes = 0
    let late = 0
    const startMs = performance.now()
    for (let i = 0; i < events.length; i += batchSize) {
      const result = detect(state, events.slice(i, i + batchSize), rules, { allowedLatenessMs: 30_000 })
      changes += result.changes.length
      late += result.lateEvents
    }
    const elapsedMs = performance.now() - startMs
    perSecond.push(Math.round((events.length / elapsedMs) * 1000))
    const serializeStartMs = performance.now()
    const stateBytes = JSON.stringify(serializeState(state)).length
    const serializeMs = performance.now() - serializeStartMs
    console.log(
      `${label}, round ${round + 1}: ${perSecond.at(-1)} events/s (${elapsedMs.toFixed(0)} ms), ${changes} changes, ${late} late, state ${(stateBytes / 1024).toFixed(0)} KiB (serialised in ${serializeMs.toFixed(1)} ms)`,
    )
  }
  const median = [...perSecond].sort((a, b) => a - b)[Math.floor(perSecond.length / 2)]
  console.log(`${label}: median ${median} events/s over ${events.length} events`)
}
