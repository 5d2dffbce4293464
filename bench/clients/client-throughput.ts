// Produce and consume throughput of the Kafka clients we considered (docs/decisions/0001-kafka-client.md),
// beside Kafka's own perf tools and our Bus adapter, on the real broker.
//
//   node bench/clients/client-throughput.ts [--records 500000] [--size 200] [--batch 1000]
//        [--partitions 6] [--keys 1000] [--rounds 3] [--only java,platformatic,kafkajs,adapter]
//        [--brokers 127.0.0.1:9092] [--json results.json]
//
// Each client runs in its own child process (no shared JIT or heap), on its own fresh topic, one
// after another; each round starts with the next client, so that a noisy neighbour on a shared
// machine does not always hit the same one. The table shows the median of the rounds and the range. Producers are idempotent with acks=all and send keyed records of --size bytes
// in batches of --batch, one batch in flight (what BusProducer.publish does). Consumers read the
// topic from the start in a new group, without committing (the adapter is also measured with a
// commit per batch). Topics are deleted at the end. Prints one table; --json writes the results.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Admin } from '@platformatic/kafka'
import { runWorker, type WorkerResult } from './client-workers.ts'

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '500000' },
    size: { type: 'string', default: '200' },
    batch: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '6' },
    keys: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'java,platformatic,kafkajs,adapter' },
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    json: { type: 'string' },
    worker: { type: 'string' },
    topic: { type: 'string' },
  },
})

const settings = {
  records: Number(values.records),
  size: Number(values.size),
  batch: Number(values.batch),
  partitions: Number(values.partitions),
  keys: Number(values.keys),
  brokers: values.brokers.split(','),
}

if (values.worker) {
  const result = await runWorker(values.worker, values.topic!, settings)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

const runId = `${Date.now().toString(36)}`
const admin = new Admin({ clientId: 'bench-clients', bootstrapBrokers: settings.brokers })
const results: WorkerResult[] = []
const clients = values.only.split(',')
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let i = 0; i < clients.length; i++) {
      const client = clients[(round + i) % clients.length]!
      const topic = `bench.clients.${client}.${runId}.${round}`
      await admin.createTopics({ topics: [topic], partitions: settings.partitions, replicas: 1 })
      await new Promise((resolve) => setTimeout(resolve, 500))
      try {
        const result = client === 'java' ? await runJavaTools(topic) : await runNodeWorker(client, topic)
        results.push(...result)
        for (const r of result) process.stderr.write(`${JSON.stringify({ round, ...r })}\n`)
      } finally {
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
      }
    }
  }
} finally {
  await admin.close()
}

printTable(results)
if (values.json) writeFileSync(values.json, `${JSON.stringify({ settings, results }, null, 2)}\n`)

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`)),
    )
  })
}

async function runNodeWorker(client: string, topic: string): Promise<WorkerResult[]> {
  const args = [process.argv[1]!, '--worker', client, '--topic', topic]
  for (const name of ['records', 'size', 'batch', 'partitions', 'keys', 'brokers'] as const) {
    args.push(`--${name}`, String(values[name]))
  }
  const out = await run(process.execPath, args)
  return JSON.parse(out.trim().split('\n').at(-1)!) as WorkerResult[]
}

/** Kafka's own tools (Java client, same settings) as the baseline. */
async function runJavaTools(topic: string): Promise<WorkerResult[]> {
  const produced = await run('bash', [
    'scripts/kafka.sh',
    'tool',
    'producer-perf-test',
    '--bootstrap-server',
    settings.brokers.join(','),
    '--topic',
    topic,
    '--num-records',
    String(settings.records),
    '--record-size',
    String(settings.size),
    '--record-key-range',
    String(settings.keys),
    '--key-distribution',
    'range',
    '--throughput',
    '-1',
    '--command-property',
    'acks=all',
    'enable.idempotence=true',
  ])
  // "500000 records sent, 251889.2 records/sec (48.04 MB/sec), ..."
  const summary = produced.trim().split('\n').at(-1)!
  const producedPerSecond = Number(/([\d.]+) records\/sec/.exec(summary)?.[1])
  const consumed = await run('bash', [
    'scripts/kafka.sh',
    'tool',
    'consumer-perf-test',
    '--bootstrap-server',
    settings.brokers.join(','),
    '--topic',
    topic,
    '--num-records',
    String(settings.records),
    '--group',
    `bench-java-${runId}`,
    '--timeout',
    '60000',
  ])
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  //      rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = consumed
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map((c) => c.trim())
  return [
    {
      client: 'java (kafka perf tools)',
      phase: 'produce',
      records: settings.records,
      recordsPerSecond: producedPerSecond,
    },
    {
      client: 'java (kafka perf tools)',
      phase: 'consume',
      records: Number(row[4]),
      recordsPerSecond: Number(row[5]),
      steadyRecordsPerSecond: Number(row[9]),
    },
  ]
}

function printTable(rows: WorkerResult[]): void {
  const groups = new Map<string, WorkerResult[]>()
  for (const row of rows) {
    const key = `${row.client}|${row.phase}`
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  }
  const k = (n: number) => `${Math.round(n / 1000)}k`
  const lines = [
    `records=${settings.records} size=${settings.size}B batch=${settings.batch} partitions=${settings.partitions} keys=${settings.keys} rounds=${values.rounds}`,
    '',
    '| client | phase | records/s (median) | range | MB/s of values | steady records/s | peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const [key, group] of groups) {
    const [client, phase] = key.split('|')
    const rates = group.map((r) => r.recordsPerSecond)
    const steady = group.flatMap((r) => (r.steadyRecordsPerSecond ? [r.steadyRecordsPerSecond] : []))
    const rss = group.flatMap((r) => (r.peakRssMb ? [r.peakRssMb] : []))
    lines.push(
      `| ${client} | ${phase} | ${k(median(rates))} | ${k(Math.min(...rates))}–${k(Math.max(...rates))} | ${(
        (median(rates) * settings.size) / 1_048_576
      ).toFixed(1)} | ${steady.length ? k(median(steady)) : ''} | ${rss.length ? Math.max(...rss) : ''} |`,
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}
