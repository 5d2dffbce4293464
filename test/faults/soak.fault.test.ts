// Soak: a steady load for a long while into one etl and one lake sink, the etl's resident memory
// (RSS, from /proc) and its lag (records sent but not yet in PostgreSQL) sampled as it runs.
// Pass: memory flat (the last quarter's median RSS within 30% + 32 MiB of the second quarter's,
// after warm-up), lag bounded (never more than 15 s of load behind), and the final tables equal
// the manifest.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readTables } from '../../src/pipelines/etl-test-kit.ts'
import { faultsSizes } from './support/faults-mode.ts'
import {
  checkTables,
  expectAlive,
  freshTopicNames,
  log,
  runScenario,
  scenarioDatabase,
  startEtl,
  startLoad,
  stopAll,
  waitForTables,
} from './support/load-run.ts'

const sizes = faultsSizes()
const names = freshTopicNames('soak')
const MIB = 1024 * 1024
const MAX_LAG_SECONDS = 15
const database = scenarioDatabase(names)

/** Resident set size of a process in bytes (Linux /proc), or undefined once it is gone. */
function rssBytes(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'))
    return line ? Number(line.replace(/\D+/g, '')) * 1024 : undefined
  } catch {
    return undefined
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

describe('soak', () => {
  it('keeps the etl memory flat and its lag bounded under a steady load', async () => {
    const rate = sizes.soakRatePerSecond
    await runScenario(
      {
        scenario: 'soak',
        load: `${rate.toLocaleString('en')} ev/s for ${sizes.soakDurationMs / 1000} s`,
        faults: 'none (steady load)',
      },
      async (outcome) => {
        let sent = 0
        const running = await startLoad(
          names,
          rate,
          sizes.soakDurationMs,
          { seed: 5050, anomalyRatio: 0.01, malformedRatio: 0.01 },
          { onProgress: (p) => (sent = p.sent) },
        )
        const etl = startEtl({ databaseUrl: database.options.url ?? '', topicPrefix: names.prefix })
        let loadOver = false
        running.done.finally(() => {
          loadOver = true
        })
        const rss: number[] = []
        let maxLag = 0
        const sampleEveryMs = sizes.mode === 'full' ? 5_000 : 1_000
        while (!loadOver) {
          await new Promise((resolve) => setTimeout(resolve, sampleEveryMs))
          expectAlive(etl, 'the etl')
          const bytes = rssBytes(etl.child.pid!)
          if (bytes !== undefined) rss.push(bytes)
          const tables = await readTables(database.db)
          maxLag = Math.max(maxLag, sent - tables.rows - tables.deadLetters)
        }
        const summary = await running.done
        outcome.events = summary.manifest.events
        const drainStartedAt = Date.now()
        await waitForTables(database.db, summary.manifest, 120_000, [etl])
        const drainMs = Date.now() - drainStartedAt
        await stopAll([etl])
        const quarter = Math.max(1, Math.floor(rss.length / 4))
        const warm = median(rss.slice(quarter, 2 * quarter))
        const end = median(rss.slice(-quarter))
        outcome.notes =
          `etl RSS ${Math.round(warm / MIB)} MiB after warm-up, ${Math.round(end / MIB)} MiB at the end, ` +
          `peak ${Math.round(Math.max(...rss) / MIB)} MiB (${rss.length} samples); max lag ${maxLag} records ` +
          `(${(maxLag / rate).toFixed(1)} s of load); drained ${(drainMs / 1000).toFixed(1)} s after the load; ` +
          `achieved ${Math.round(summary.ratePerSecond)} ev/s`
        log('soak', outcome.notes)
        expect(end).toBeLessThanOrEqual(warm * 1.3 + 32 * MIB)
        expect(maxLag).toBeLessThanOrEqual(rate * MAX_LAG_SECONDS)
        const tables = await checkTables(database.db, summary.manifest)
        outcome.lost = tables.lost
        outcome.duplicates = tables.duplicates
      },
    )
  })
})
