// The built-in rules at their edges: one reading or one event either side of each threshold.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import { aLog, aMetric, aTransaction, min, run, sec, series, T0 } from './test-builders.ts'

const errors = (count: number, stepMs: number, service = 'auth-service') =>
  series(count, stepMs, () => ({ level: 'ERROR' as const, service }), aLog)

describe('built-in rules at their edges', () => {
  it.each<[string, Event[], number]>([
    ['20 ERROR logs within 60 s', errors(20, sec(1)), 0],
    ['21 ERROR logs within 60 s', errors(21, sec(1)), 1],
    ['21 ERROR logs within 59.999 s', errors(21, 2_999.95), 1],
    ['21 ERROR logs with the first and last 60 s apart (the window is (t - 60 s, t])', errors(21, sec(3)), 0],
    ['21 ERROR logs spread over 61 s', errors(21, 3_050), 0],
    ['21 ERROR logs at one instant', errors(21, 0), 1],
    ['20 ERROR logs and a WARN', [...errors(20, sec(1)), aLog({ level: 'WARN', tsMs: T0 + sec(20) })], 0],
    ['21 ERROR logs of two services', [...errors(11, sec(1)), ...errors(10, sec(1), 'payments')], 0],
    ['cpu 85', [aMetric({ cpu: 85 })], 0],
    ['cpu 85.01', [aMetric({ cpu: 85.01 })], 1],
    ['latency 400 ms', [aMetric({ latencyMs: 400 })], 0],
    ['latency 400.5 ms', [aMetric({ latencyMs: 400.5 })], 1],
    ['cpu 85.01 and latency 400.5 ms in one reading', [aMetric({ cpu: 85.01, latencyMs: 400.5 })], 2],
    ['amount 10,000', [aTransaction({ amount: 10_000 })], 0],
    ['amount 10,000.01', [aTransaction({ amount: 10_000.01 })], 1],
    [
      'two large transactions of one user',
      [aTransaction({ amount: 20_000 }), aTransaction({ amount: 30_000 })],
      2,
    ],
  ])('%s: %i anomalies', (_, events, expected) => {
    expect(run([events], { rules: DEFAULT_RULES }).anomalies).toHaveLength(expected)
  })

  it('reports an error burst with its count, window and first event time', () => {
    const [anomaly] = run([errors(25, sec(1))], { rules: DEFAULT_RULES }).anomalies
    expect(anomaly).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      rule: 'error_burst',
      key: 'auth-service',
      topic: 'logs',
      status: 'open',
      firstSeenMs: T0 + sec(20),
      lastSeenMs: T0 + sec(24),
      value: 25,
      threshold: 20,
      comparator: '>',
      eventCount: 25,
      severity: 'critical',
      windowMs: min(1),
    })
  })

  it('keys a large transaction by its id', () => {
    const [anomaly] = run([[aTransaction({ transactionId: 't-42', userId: 'u-7', amount: 12_500 })]], {
      rules: DEFAULT_RULES,
    }).anomalies
    expect(anomaly).toMatchObject({ rule: 'large_transaction', key: 't-42', value: 12_500, eventCount: 1 })
    expect(anomaly).not.toHaveProperty('windowMs')
  })
})
