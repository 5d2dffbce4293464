import { describe, expect, it } from 'vitest'
import { ApiError } from './api-error.ts'
import { parseDurationParam, parseTimeParam, resolveRange } from './time-range.ts'

const NOW = Date.parse('2025-03-10T12:00:00.000Z')
const H = 3_600_000

describe('parseTimeParam', () => {
  it.each([
    ['now', NOW],
    ['-15m', NOW - 15 * 60_000],
    ['now-2h', NOW - 2 * H],
    ['-7d', NOW - 7 * 24 * H],
    ['-1w', NOW - 7 * 24 * H],
    ['-500ms', NOW - 500],
    ['-30s', NOW - 30_000],
    ['2025-03-10T11:00:00Z', NOW - H],
    ['2025-03-10T13:00:00+02:00', NOW - H],
    ['2025-03-10T11:00:00', NOW - H],
    ['2025-03-10', Date.parse('2025-03-10T00:00:00Z')],
    ['1741604400000', NOW - H],
  ])('%s', (text, expected) => {
    expect(parseTimeParam(text, NOW)).toBe(expected)
  })

  it.each([
    '',
    'yesterday',
    '+15m',
    '-15',
    '-15y',
    '15m',
    '2025-02-30',
    '2025-13-01',
    "1' OR '1'='1",
    '-1e3m',
  ])('refuses %j', (text) => {
    expect(parseTimeParam(text, NOW)).toBeUndefined()
  })
})

describe('parseDurationParam', () => {
  it.each([
    ['1s', 1000],
    ['5m', 300_000],
    ['1h', H],
    ['1d', 24 * H],
    ['250ms', 250],
  ])('%s', (text, ms) => expect(parseDurationParam(text)).toBe(ms))
  it.each(['', '5', 'm', '1.5h', '-1m', '1 h'])('refuses %j', (text) =>
    expect(parseDurationParam(text)).toBeUndefined(),
  )
})

describe('resolveRange', () => {
  const options = { nowMs: NOW, defaultLookbackMs: H, maxRangeMs: 31 * 24 * H, toDefaultsToNow: false }

  it('defaults from to the lookback and leaves to open', () => {
    expect(resolveRange({}, options)).toEqual({ fromMs: NOW - H, toMs: null })
  })

  it('closes to at now when asked', () => {
    expect(resolveRange({ from: '-15m' }, { ...options, toDefaultsToNow: true })).toEqual({
      fromMs: NOW - 15 * 60_000,
      toMs: NOW,
    })
  })

  it.each([
    [{ from: 'soon' }, 'from: expected an ISO 8601 time'],
    [{ to: 'later' }, 'to: expected an ISO 8601 time'],
    [{ from: '-1h', to: '-2h' }, 'from: must be before to'],
    [{ from: '-1h', to: '-1h' }, 'from: must be before to'],
    [{ from: '-32d' }, 'from: the range is longer than 31d'],
    [{ from: '2020-01-01', to: '2020-03-01' }, 'from: the range is longer than 31d'],
  ])('%j -> 400 "%s…"', (input, message) => {
    let error: unknown
    try {
      resolveRange(input, options)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).statusCode).toBe(400)
    expect((error as ApiError).message).toContain(message)
  })
})
