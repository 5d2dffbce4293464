import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { daysFromCivil, parseTimestampMs } from './parse-timestamp.ts'

describe('parseTimestampMs', () => {
  it.each<[unknown, number]>([
    ['2025-01-01T10:20:30Z', Date.UTC(2025, 0, 1, 10, 20, 30)],
    ['2025-01-01T10:20:30.1Z', Date.UTC(2025, 0, 1, 10, 20, 30, 100)],
    ['2025-01-01T10:20:30.12Z', Date.UTC(2025, 0, 1, 10, 20, 30, 120)],
    ['2025-01-01T10:20:30.123456789Z', Date.UTC(2025, 0, 1, 10, 20, 30, 123)],
    ['2025-01-01T10:20:30+14:00', Date.UTC(2024, 11, 31, 20, 20, 30)],
    ['2025-01-01T10:20:30-23:59', Date.UTC(2025, 0, 2, 10, 19, 30)],
    ['2025-01-01T10:20:30-00:00', Date.UTC(2025, 0, 1, 10, 20, 30)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['0099-12-31', -59_011_545_600_000],
    ['9999-12-31T23:59:59.999Z', 253_402_300_799_999],
    ['\t2025-01-01T10:20:30Z\n', Date.UTC(2025, 0, 1, 10, 20, 30)],
    [-1, -1],
    [8.64e15, 8.64e15],
    ['+5', 5],
    ['1e3', 1000],
  ])('reads %j', (value, expectedMs) => {
    expect(parseTimestampMs(value)).toBe(expectedMs)
  })

  it.each<unknown>([
    '1900-02-29',
    '2025-00-10',
    '2025-01-00',
    '2025-01-32',
    '2025-01-01T1:20:30Z',
    '2025-01-01T10:20:30.1234567890Z',
    '2025-01-01T10:20:30Zjunk',
    '2025-01-01T10:20:30+02:3',
    '2025-01-01T10:20:30+0230x',
    '2025-01-01T10:20:30+02:',
    '2025-01-01T10:20:30GMT',
    '10000-01-01',
    '-2025-01-01',
    '2025-01-01Z',
    '2025-W01-1',
    '2025-001',
    '1.2.3',
    '-',
    'NaN',
    8.64e15 + 1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    null,
    undefined,
    [],
  ])('rejects %j', (value) => {
    expect(parseTimestampMs(value)).toBeNaN()
  })

  const anyDate = fc.date({
    min: new Date('0000-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  })

  it('reads back every Date.toISOString() of years 0000..9999', () => {
    fc.assert(fc.property(anyDate, (date) => parseTimestampMs(date.toISOString()) === date.getTime()))
  })

  it('reads any offset, in any of its spellings, to the same instant', () => {
    const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })
    const style = fc.constantFrom('colon', 'compact', 'hours')
    fc.assert(
      fc.property(anyDate, offsetMinutes, style, (date, offset, spelling) => {
        const whole = spelling === 'hours' ? Math.trunc(offset / 60) * 60 : offset
        const wall = new Date(date.getTime() + whole * 60_000).toISOString()
        fc.pre(/^\d{4}-/.test(wall))
        const hh = String(Math.trunc(Math.abs(whole) / 60)).padStart(2, '0')
        const mm = String(Math.abs(whole) % 60).padStart(2, '0')
        const sign = whole < 0 ? '-' : '+'
        const suffix = spelling === 'colon' ? `${hh}:${mm}` : spelling === 'compact' ? `${hh}${mm}` : hh
        return parseTimestampMs(`${wall.slice(0, -1)}${sign}${suffix}`) === date.getTime()
      }),
    )
  })

  it('agrees with Date.parse wherever the string is RFC 3339', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        const iso = date.toISOString().replace('Z', '+01:30')
        return parseTimestampMs(iso) === Date.parse(iso)
      }),
    )
  })

  it('returns NaN or whole milliseconds within the range of Date, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9T:+\-.Zz ]{0,30}$/)), (text) => {
        const ms = parseTimestampMs(text)
        return Number.isNaN(ms) || (Number.isSafeInteger(ms) && Math.abs(ms) <= 8.64e15)
      }),
    )
  })
})

describe('daysFromCivil', () => {
  it('agrees with Date.UTC for years 100..9999', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        (year, month, day) => daysFromCivil(year, month, day) * 86_400_000 === Date.UTC(year, month - 1, day),
      ),
    )
  })
})
