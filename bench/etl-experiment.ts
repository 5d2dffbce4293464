// Tuning harness, run by hand: one backlog, then the etl drained over it once per variant of Node
// options, each into a fresh database, interleaved over rounds so that load from other processes
// hits every variant alike.
//   node bench/etl-experiment.ts [--events 200000] [--rounds 2] [--variant "name=NODE_OPTIONS"]...
// e.g. --variant "default=" --variant "semi16=--max-semi-space-size=16" --variant "prof=--cpu-prof --cpu-prof-dir=/tmp/prof"
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createBenchDatabases } from './bench-database.ts'
import { deleteTopicsWithPrefix } from './run-cleanup.ts'
import { type BenchEnv, drainThroughEtl, produce } from './scenarios.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '2' },
    processes: { type: 'string', default: '1' },
    variant: { type: 'string', multiple: true, default: ['default='] },
  },
})
const variants = values.variant.map((v) => {
  const at = v.indexOf('=')
  return { name: v.slice(0, at), nodeOptions: v.slice(at + 1) }
})
const runId = `x${Date.now().toString(36)}`
const prefix = `bench.${runId}.`
const scratch = await mkdtemp(join(os.tmpdir(), 'streamwatch-etl-x-'))
const env: BenchEnv = {
  brokers: '127.0.0.1:9092',
  base: { DATA_DIR: scratch, LOG_LEVEL: 'info' },
  lakeUrl: '',
}
const databases = createBenchDatabases('postgres://postgres@127.0.0.1:5432/postgres', runId)
try {
  const produced = await produce(env, prefix, { count: Number(values.events), ratePerSecond: 0 })
  console.log(`produced ${produced.events} events at ${Math.round(produced.eventsPerSecond)} ev/s`)
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, v] of variants.entries()) {
      const database = await databases.create(`r${round}v${i}`)
      const variantEnv = { ...env, base: { ...env.base, NODE_OPTIONS: v.nodeOptions } }
      const r = await drainThroughEtl(
        variantEnv,
        prefix,
        database,
        Number(values.processes),
        produced.events,
        600_000,
      )
      console.log(
        `round ${round} ${v.name.padEnd(14)} ${Math.round(r.eventsPerSecond)} ev/s steady, ${r.steadySeconds.toFixed(1)} s; peak RSS ${r.peakRssMb.join(', ')} MB`,
      )
      await database.db.close()
    }
  }
} finally {
  await databases.dropAll()
  await deleteTopicsWithPrefix(env.brokers, prefix)
  await rm(scratch, { recursive: true, force: true })
}
