import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/load.ts'
import { createEventStream } from '../../core/generate/event-stream.ts'
import { silentLogger } from '../../observability/logger.ts'
import { UsageError } from '../command.ts'
import { parseProduceArgs, produceCommand } from './produce.ts'

describe('parseProduceArgs', () => {
  it('applies the documented defaults', () => {
    const args = parseProduceArgs([])
    expect(args).toMatchObject({
      ratePerSecond: 100,
      count: undefined,
      durationMs: undefined,
      seedGiven: false,
      startMs: undefined,
      eventRatePerSecond: undefined,
      anomalyRatio: 0.001,
      malformedRatio: 0,
      topics: ['logs', 'metrics', 'transactions'],
      manifestPath: undefined,
      eventIds: false,
    })
    expect(Number.isInteger(args.seed) && args.seed >= 0 && args.seed <= 0xffff_ffff).toBe(true)
  })

  it('reads every option', () => {
    expect(
      parseProduceArgs([
        '--rate=0',
        '--count',
        '5000',
        '--duration',
        '5m',
        '--seed',
        '4294967295',
        '--start',
        '2025-01-01T10:00:00Z',
        '--event-rate',
        '250.5',
        '--anomalies',
        '0.5',
        '--malformed',
        '1',
        '--topics',
        'transactions, logs',
        '--manifest',
        'm.json',
        '--event-ids',
        '--batch-size',
        '50',
      ]),
    ).toEqual({
      ratePerSecond: 0,
      count: 5000,
      durationMs: 300_000,
      seed: 4_294_967_295,
      seedGiven: true,
      startMs: Date.UTC(2025, 0, 1, 10),
      eventRatePerSecond: 250.5,
      anomalyRatio: 0.5,
      malformedRatio: 1,
      topics: ['logs', 'transactions'],
      manifestPath: 'm.json',
      eventIds: true,
      batchSize: 50,
    })
  })

  it.each([
    [['--rate', 'fast'], '--rate: expected a number >= 0, got "fast"'],
    [['--rate=-1'], '--rate: expected a number >= 0, got "-1"'],
    [['--count', '0'], '--count: expected a whole number >= 1, got "0"'],
    [['--count', '1.5'], '--count: expected a whole number >= 1, got "1.5"'],
    [['--duration', 'soon'], '--duration: expected a duration such as 30s or 5m, got "soon"'],
    [['--duration', '0s'], '--duration: expected a duration such as 30s or 5m, got "0s"'],
    [['--seed', '4294967296'], '--seed: expected a whole number 0..4294967295, got "4294967296"'],
    [['--seed', '0x10'], '--seed: expected a whole number 0..4294967295, got "0x10"'],
    [
      ['--start', 'yesterday'],
      '--start: expected an ISO 8601 time such as 2025-01-01T10:00:00Z, got "yesterday"',
    ],
    [['--rate', '0', '--event-rate', '0'], '--event-rate: expected a number > 0, got "0"'],
    [['--event-rate', '100'], '--event-rate applies with --rate 0 only (a paced run follows the wall clock)'],
    [['--anomalies', '1.5'], '--anomalies: expected a number 0..1, got "1.5"'],
    [['--malformed=-0.1'], '--malformed: expected a number 0..1, got "-0.1"'],
    [
      ['--topics', 'logs,audit'],
      '--topics: expected a list of logs, metrics, transactions, got "logs,audit"',
    ],
    [['--topics', ','], '--topics: expected a list of logs, metrics, transactions, got ","'],
    [['--batch-size', '0'], '--batch-size: expected a whole number 1..100000, got "0"'],
    [['--colour'], "Unknown option '--colour'"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseProduceArgs(argv)).toThrow(UsageError)
    expect(() => parseProduceArgs(argv)).toThrow(message)
  })
})

describe('streamwatch produce', () => {
  let dataDir: string | undefined

  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('publishes, prints a summary and writes the manifest of what it injected', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sw-produce-'))
    const config = loadConfig({ DATA_DIR: dataDir, TOPIC_PREFIX: 'cli.' })
    const out = new PassThrough()
    let printed = ''
    out.on('data', (chunk: Buffer) => {
      printed += chunk.toString()
    })
    const argv = ['--count', '20000', '--rate', '0', '--seed', '42', '--start', '2025-01-01T10:00:00Z']
    const code = await produceCommand.run([...argv, '--anomalies', '0.01', '--malformed', '0.01'], {
      config,
      logger: silentLogger,
      signal: new AbortController().signal,
      out,
    })
    expect(code).toBe(0)
    const manifestPath = join(dataDir, 'manifests', 'produce-42-20250101T100000000Z.json')
    expect(printed).toContain('produced 20,000 events in')
    expect(printed).toContain('seed 42, event time from 2025-01-01T10:00:00.000Z, stopped by count')
    expect(printed).toMatch(/ {2}cli\.logs +\d{1,3},\d{3}\n/)
    expect(printed).toMatch(
      /injected anomalies: error_burst \d+, high_cpu \d+, high_latency \d+, large_transaction \d+/,
    )
    expect(printed).toMatch(/malformed: truncated_json \d+, not_an_object \d+/)
    expect(printed).toContain(`manifest: ${manifestPath}\n`)

    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
    const stream = createEventStream({
      seed: 42,
      startMs: Date.UTC(2025, 0, 1, 10),
      eventRatePerSecond: 5000,
      anomalyRatio: 0.01,
      malformedRatio: 0.01,
    })
    stream.take(20_000)
    const expected = stream.manifest()
    expect(manifest).toMatchObject({
      ...expected,
      anomalies: expected.anomalies.map((a) => ({
        ...a,
        firstSeen: new Date(a.firstSeenMs).toISOString(),
        lastSeen: new Date(a.lastSeenMs).toISOString(),
      })),
      start: '2025-01-01T10:00:00.000Z',
      topicPrefix: 'cli.',
      stoppedBy: 'count',
    })
    expect(manifest.anomalies.length).toBeGreaterThan(0)
    expect(Object.values(manifest.sentByTopic).reduce((a, b) => Number(a) + Number(b), 0)).toBe(20_000)
  })
})
