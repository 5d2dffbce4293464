// Event time from the wire: an ISO 8601 / RFC 3339 date-time, or epoch milliseconds.
// Strict on purpose: `Date.parse` accepts "2025-02-30" (as March 2nd) and, in V8, prose such as
// "Jan 1 2025"; a timestamp we cannot read exactly is a rejection, not a guess.

/** The extremes `Date` represents: ±100,000,000 days around the epoch. */
const MAX_DATE_MS = 8.64e15

const MS_PER_DAY = 86_400_000

/** Decimal numbers as people and JSON write them; no hex, no `Infinity`, no `1_000`. */
export const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * UTC epoch milliseconds, or NaN when `value` is not a timestamp.
 * - a number, or a string of a decimal number: epoch milliseconds (a fraction is truncated);
 * - an ISO 8601 / RFC 3339 date-time, `YYYY-MM-DD` then `T` (or `t`, or a space)
 *   `hh:mm[:ss[.fraction]]` and an optional offset `Z`, `±hh:mm`, `±hhmm` or `±hh`: converted to UTC;
 * - a date-time without an offset, or a date alone: taken as UTC (producers that omit the offset
 *   are, in practice, servers logging in UTC; a local-time guess would depend on our zone);
 * - fractions of a second beyond milliseconds are truncated; a leap second (`:60`), `24:00`, the
 *   basic format (`20250101T102030Z`), week and ordinal dates are rejected.
 * Surrounding whitespace is ignored.
 */
export function parseTimestampMs(value: unknown): number {
  if (typeof value === 'number') return epochMs(value)
  if (typeof value !== 'string') return Number.NaN
  const text = value.trim()
  if (text.length >= 10 && text.charCodeAt(4) === DASH) return parseIsoMs(text)
  return DECIMAL_NUMBER.test(text) ? epochMs(Number(text)) : Number.NaN
}

const DASH = 45
const PLUS = 43
const COLON = 58
const DOT = 46
const COMMA = 44

/**
 * A hand-written scanner rather than a regular expression: it is 5-10 times faster, and this runs
 * for every record. Every field is range-checked, the day against its month and year, so the
 * result is exactly the date-time written (no `Date.parse`-style rollover of Feb 30 into March).
 */
function parseIsoMs(text: string): number {
  const length = text.length
  const year = readDigits(text, 0, 4)
  const month = readDigits(text, 5, 2)
  const day = readDigits(text, 8, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || text.charCodeAt(7) !== DASH) return Number.NaN
  if (day > daysInMonth(year, month)) return Number.NaN
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY
  if (length === 10) return ms
  const separator = text.charCodeAt(10)
  if (separator !== 84 && separator !== 116 && separator !== 32) return Number.NaN // T, t, space
  const hour = readDigits(text, 11, 2)
  const minute = readDigits(text, 14, 2)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || text.charCodeAt(13) !== COLON) return Number.NaN
  ms += hour * 3_600_000 + minute * 60_000
  let at = 16
  if (text.charCodeAt(at) === COLON) {
    const second = readDigits(text, at + 1, 2)
    if (second < 0 || second > 59) return Number.NaN
    ms += second * 1000
    at += 3
    const mark = text.charCodeAt(at)
    if (mark === DOT || mark === COMMA) {
      at++
      const fractionStart = at
      let millis = 0
      while (at < length && at - fractionStart < 9) {
        const digit = text.charCodeAt(at) - 48
        if (digit < 0 || digit > 9) break
        if (at - fractionStart < 3) millis = millis * 10 + digit
        at++
      }
      const fractionDigits = at - fractionStart
      if (fractionDigits === 0) return Number.NaN
      ms += fractionDigits === 1 ? millis * 100 : fractionDigits === 2 ? millis * 10 : millis
    }
  }
  if (at === length) return ms
  const sign = text.charCodeAt(at)
  if (sign === 90 || sign === 122) return at + 1 === length ? ms : Number.NaN // Z, z
  if (sign !== PLUS && sign !== DASH) return Number.NaN
  const offsetHours = readDigits(text, at + 1, 2)
  if (offsetHours < 0 || offsetHours > 23) return Number.NaN
  at += 3
  let offsetMinutes = 0
  if (at < length) {
    if (text.charCodeAt(at) === COLON) at++
    offsetMinutes = readDigits(text, at, 2)
    if (offsetMinutes < 0 || offsetMinutes > 59 || at + 2 !== length) return Number.NaN
  }
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000
  return sign === PLUS ? ms - offsetMs : ms + offsetMs
}

/** The number written by `count` ASCII digits at `at`, or -1 if any of them is not a digit. */
function readDigits(text: string, at: number, count: number): number {
  let n = 0
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48 // NaN past the end, which fails the test below
    if (!(digit >= 0 && digit <= 9)) return -1
    n = n * 10 + digit
  }
  return n
}

function epochMs(ms: number): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return Number.NaN
  return Math.trunc(ms) + 0 // + 0 turns -0 into 0
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). Exact for
 * every year, unlike `Date.UTC`, which maps years 0..99 to 1900..1999.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}
