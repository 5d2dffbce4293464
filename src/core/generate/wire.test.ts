import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createTimestampFormatter,
  encodeLog,
  encodeMetric,
  encodeTransaction,
  formatTimestamp,
} from './wire.ts'

const text = fc.string({ unit: 'binary', maxLength: 40 })
const number = fc.double({ noNaN: true, noDefaultInfinity: true })

describe('wire encoding', () => {
  it('formats any time as toISOString does, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), { maxLength: 50 }),
        (times) => {
          const format = createTimestampFormatter()
          for (const ms of times) expect(format(ms)).toBe(new Date(ms).toISOString())
        },
      ),
    )
    const format = createTimestampFormatter()
    for (const ms of [Date.UTC(10_000, 0, 1), Date.UTC(2025, 0, 1, 23, 59, 59, 999), Date.UTC(-1, 0, 1)]) {
      expect(format(ms)).toBe(formatTimestamp(ms))
    }
  })

  it('gives the bytes JSON.stringify gives, field order included', () => {
    fc.assert(
      fc.property(
        fc.record({
          event_id: fc.option(text, { nil: undefined }),
          timestamp: fc.constant('2025-01-01T10:20:30.123Z'),
          service: text,
          level: text,
          message: text,
          user_id: fc.option(text, { nil: undefined }),
        }),
        (log) => {
          expect(encodeLog(log)).toBe(JSON.stringify(log))
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          event_id: fc.option(text, { nil: undefined }),
          timestamp: fc.constant('2025-01-01T10:20:30.123Z'),
          service: text,
          cpu: number,
          latency_ms: number,
        }),
        (metric) => {
          expect(encodeMetric(metric)).toBe(JSON.stringify(metric))
        },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          event_id: fc.option(text, { nil: undefined }),
          timestamp: fc.constant('2025-01-01T10:20:30.123Z'),
          transaction_id: text,
          user_id: text,
          amount: number,
          currency: text,
          merchant: text,
          status: text,
        }),
        (tx) => {
          expect(encodeTransaction(tx)).toBe(JSON.stringify(tx))
        },
      ),
    )
  })
})
