// HiLo offsets: after a restart, even after kill -9, every offset is above every offset handed out
// before, so offsets stored elsewhere (PostgreSQL) never point into the new run's records.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startConsumer, until } from '../../../test/contract/bus-test-helpers.ts'
import { StreamwatchError } from '../../errors.ts'
import type { OutgoingRecord, RawRecord } from '../../pipelines/ports.ts'
import { createMemoryBroker } from './memory-broker.ts'
import { createMemoryBus } from './memory-bus.ts'
import { loadOffsetReservations, type OffsetReservations, RESERVATIONS_FILE } from './offset-reservations.ts'

const records = (count: number): OutgoingRecord[] =>
  Array.from({ length: count }, (_, i) => ({ topic: 't', key: `k${i % 7}`, value: `v${i}` }))

/** Reads `count` records of topic t with a fresh group; returns per partition [first, last] offset. */
async function offsetRanges(bus: ReturnType<typeof createMemoryBus>, count: number, groupId = 'reader') {
  const reader = startConsumer(bus, { groupId, topics: ['t'] })
  await until(() => reader.records.length >= count, `${count} records`, {
    consumers: [reader],
    timeoutMs: 10_000,
  })
  await reader.stop()
  return ranges(reader.records)
}

function ranges(records: readonly RawRecord[]): Map<number, [number, number]> {
  const result = new Map<number, [number, number]>()
  for (const r of records) {
    const [first, last] = result.get(r.partition) ?? [r.offset, r.offset]
    result.set(r.partition, [Math.min(first, r.offset), Math.max(last, r.offset)])
  }
  return result
}

describe('memory bus offsets across restarts', () => {
  let stateDir: string
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'memory-bus-'))
  })
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true })
  })

  it('starts each partition of a new bus on the same stateDir beyond the old offsets', async () => {
    const before = createMemoryBus({ stateDir, offsetBlockRecords: 100 })
    await before.ensureTopics(['t'], 2)
    await before.createProducer().publish(records(500)) // crosses several blocks
    const old = await offsetRanges(before, 500)
    await before.close()

    const after = createMemoryBus({ stateDir, offsetBlockRecords: 100 })
    await after.ensureTopics(['t'], 2)
    await after.createProducer().publish(records(500))
    const fresh = await offsetRanges(after, 500)
    await after.close()

    const file = JSON.parse(await readFile(join(stateDir, RESERVATIONS_FILE), 'utf8'))
    for (const partition of [0, 1]) {
      expect(fresh.get(partition)![0]).toBeGreaterThan(old.get(partition)![1])
      expect(file.reservedOffsets.t[String(partition)]).toBeGreaterThan(fresh.get(partition)![1])
    }
  })

  it('starts beyond every offset handed out by a process killed with SIGKILL', async () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD_SCRIPT, '--', join(import.meta.dirname, 'memory-bus.ts'), stateDir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)))
    })
    const handedOut = new Map<number, number>(JSON.parse(line))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))

    const bus = createMemoryBus({ stateDir, offsetBlockRecords: 100 })
    await bus.ensureTopics(['t'], 2)
    await bus.createProducer().publish(records(50))
    const fresh = await offsetRanges(bus, 50)
    await bus.close()
    expect([...handedOut.keys()].sort()).toEqual([0, 1])
    for (const [partition, last] of handedOut) expect(fresh.get(partition)![0]).toBeGreaterThan(last)
  })

  it('clamps a start offset from an earlier run to the earliest record of this run', async () => {
    const bus = createMemoryBus({ stateDir: join(stateDir, 'first') })
    await bus.ensureTopics(['t'], 1)
    await bus.createProducer().publish(records(10))
    await bus.close()
    const restarted = createMemoryBus({ stateDir: join(stateDir, 'first') })
    await restarted.ensureTopics(['t'], 1)
    await restarted.createProducer().publish(records(10))
    const reader = startConsumer(restarted, {
      groupId: 'etl',
      topics: ['t'],
      onAssign: async () => [{ topic: 't', partition: 0, offset: 5 }], // stored by the previous run
    })
    await until(() => reader.records.length >= 10, 'the new records', {
      consumers: [reader],
      timeoutMs: 10_000,
    })
    await reader.stop()
    await restarted.close()
    expect(reader.records.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 1_000_000 + i))
  })

  it('hands out no offset at or above the reservation before the reservation is durable', async () => {
    let release: () => void = () => undefined
    const reserved: Array<[string, number, number]> = []
    const reservations: OffsetReservations = {
      firstOffset: () => 40,
      reserve: (topic, partition, endOffset) => {
        reserved.push([topic, partition, endOffset])
        return new Promise<void>((resolve) => {
          release = resolve
        })
      },
      close: async () => undefined,
    }
    const broker = createMemoryBroker({
      defaultPartitions: 1,
      retentionRecords: 1000,
      keepCommittedRecords: 0,
      reservations,
      offsetBlockRecords: 10,
    })
    let published = false
    const publishing = broker.publish(records(3)).then(() => {
      published = true
    })
    await until(() => reserved.length === 1, 'the reservation request')
    expect(reserved).toEqual([['t', 0, 50]])
    expect(broker.partitionsOf('t')![0]!.log.endOffset).toBe(40)
    expect(published).toBe(false)
    release()
    await publishing
    expect(broker.partitionsOf('t')![0]!.log.endOffset).toBe(43)
    broker.close()
  })

  it('fails publish with a retriable error when the reservation cannot be written, and retries on the next', async () => {
    let fail = true
    const broker = createMemoryBroker({
      defaultPartitions: 1,
      retentionRecords: 1000,
      keepCommittedRecords: 0,
      offsetBlockRecords: 10,
      reservations: {
        firstOffset: () => 0,
        reserve: async () => {
          if (fail) throw new StreamwatchError('bus_unavailable', 'disk full', { retriable: true })
        },
        close: async () => undefined,
      },
    })
    await expect(broker.publish(records(1))).rejects.toMatchObject({
      code: 'bus_unavailable',
      retriable: true,
    })
    fail = false
    await broker.publish(records(1))
    expect(broker.partitionsOf('t')![0]!.log.endOffset).toBe(1)
    broker.close()
  })

  it('refuses a second bus on a state directory in use, until the first is closed', async () => {
    const first = createMemoryBus({ stateDir })
    expect(() => createMemoryBus({ stateDir: join(stateDir, '.') })).toThrow(/already used/)
    await first.close()
    await createMemoryBus({ stateDir }).close()
  })

  it('refuses a state file that is not one', async () => {
    await writeFile(join(stateDir, RESERVATIONS_FILE), '{"version":1,"reservedOffsets":{"t":{"0":-3}}}')
    expect(() => loadOffsetReservations(stateDir)).toThrow(/not a valid offsets file/)
  })
})

// Publishes 250 records with blocks of 100, reads them back, prints [[partition, last offset], ...]
// and stays alive until killed.
const CHILD_SCRIPT = `
const [modulePath, stateDir] = process.argv.slice(1)
const { createMemoryBus } = await import(modulePath)
const bus = createMemoryBus({ stateDir, offsetBlockRecords: 100 })
await bus.ensureTopics(['t'], 2)
await bus.createProducer().publish(Array.from({ length: 250 }, (_, i) => ({ topic: 't', key: 'k' + (i % 7), value: 'v' + i })))
const consumer = bus.createConsumer({ groupId: 'g', topics: ['t'] })
const last = new Map()
let total = 0
for await (const batch of consumer.batches(new AbortController().signal)) {
  for (const r of batch.records) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset))
  total += batch.records.length
  if (total >= 250) break
}
process.stdout.write(JSON.stringify([...last]) + '\\n')
setInterval(() => undefined, 60_000)
`
