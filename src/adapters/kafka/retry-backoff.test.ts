import { NetworkError, ProtocolError } from '@platformatic/kafka'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { createRetryBackoff } from './retry-backoff.ts'

function setup() {
  const lines: { level: number; msg: string }[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const waits: number[] = []
  const backoff = createRetryBackoff({
    logger,
    retryDelayMs: 100,
    wait: async (ms) => {
      waits.push(ms)
    },
  })
  return { backoff, lines, waits, signal: new AbortController().signal }
}

describe('retry backoff', () => {
  it('waits longer after each retriable failure, up to 5 s, and starts over after a success', async () => {
    const { backoff, waits, signal } = setup()
    for (let i = 0; i < 8; i++) await backoff.failed('fetch', new NetworkError('Connection refused'), signal)
    backoff.succeeded()
    await backoff.failed('fetch', new NetworkError('Connection refused'), signal)
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000, 200])
  })

  it('logs a failure when it changes, not on every attempt, and the recovery once', async () => {
    const { backoff, lines, signal } = setup()
    await backoff.failed('fetch', new NetworkError('Connection refused'), signal)
    await backoff.failed('fetch', new NetworkError('Connection refused'), signal)
    await backoff.failed('fetch', new NetworkError('Connection reset'), signal)
    backoff.succeeded()
    backoff.succeeded()
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'fetch failed; retrying'],
      [40, 'fetch failed; retrying'],
      [30, 'kafka recovered'],
    ])
  })

  it('throws what a retry cannot help, translated, without waiting', async () => {
    const { backoff, waits, signal } = setup()
    const error = await backoff
      .failed('join group etl', new ProtocolError('GROUP_AUTHORIZATION_FAILED', 'no'), signal)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamwatchError)
    expect((error as StreamwatchError).retriable).toBe(false)
    expect(waits).toEqual([])
  })
})
