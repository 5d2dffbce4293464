// One reader per kind of field: each takes the raw JSON value and returns it normalised, or the
// Problem with it. `null` counts as absent everywhere: a required field that is null is
// `missing_field`, an optional one that is null is left out (null).
import { LOG_LEVELS, type LogLevel } from '../../contracts/events.ts'
import { DECIMAL_NUMBER, parseTimestampMs } from './parse-timestamp.ts'
import { invalidValue, missingField, outOfRange, type Problem, showValue, wrongType } from './problem.ts'

/** PostgreSQL cannot store U+0000 in text or jsonb; JSON can carry it as `\u0000`. */
const NUL = '\u0000'

export function readTimestampMs(value: unknown): number | Problem {
  if (value === undefined || value === null) return missingField('timestamp')
  if (typeof value !== 'string' && typeof value !== 'number') {
    return wrongType('timestamp', 'an ISO 8601 string or epoch milliseconds', value)
  }
  const tsMs = parseTimestampMs(value)
  if (Number.isNaN(tsMs)) {
    return invalidValue('timestamp', `${showValue(value)} is not an ISO 8601 date-time or epoch milliseconds`)
  }
  return tsMs
}

const SERVICE_CHARS = /^[a-z0-9._\-/:]+$/

/** Trimmed and lower-cased, so "Auth-Service " and "auth-service" are one service. */
export function readService(value: unknown, maxChars: number): string | Problem {
  if (value === undefined || value === null) return missingField('service')
  if (typeof value !== 'string') return wrongType('service', 'a string', value)
  const service = value.trim().toLowerCase()
  if (service.length === 0) return invalidValue('service', 'is empty')
  if (service.length > maxChars) return tooLong('service', value, maxChars)
  if (!SERVICE_CHARS.test(service)) {
    return invalidValue('service', `${showValue(value)} may only hold letters, digits and . _ - / :`)
  }
  return service
}

/** Every spelling we accept, lower case, and the canonical names as they are. */
const LEVEL_ALIASES: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ...LOG_LEVELS.map((level) => [level, level] as const),
  ...LOG_LEVELS.map((level) => [level.toLowerCase(), level] as const),
  ['verbose', 'TRACE'],
  ['information', 'INFO'],
  ['notice', 'INFO'],
  ['warning', 'WARN'],
  ['err', 'ERROR'],
  ['crit', 'FATAL'],
  ['critical', 'FATAL'],
  ['panic', 'FATAL'],
  ['emerg', 'FATAL'],
])

export function readLevel(value: unknown): LogLevel | Problem {
  if (value === undefined || value === null) return missingField('level')
  if (typeof value !== 'string') return wrongType('level', 'a string', value)
  const level = LEVEL_ALIASES.get(value) ?? LEVEL_ALIASES.get(value.trim().toLowerCase())
  if (level === undefined) {
    return invalidValue(
      'level',
      `${showValue(value)} is not one of ${LOG_LEVELS.join(', ')} or an alias of one`,
    )
  }
  return level
}

/** Kept exactly as sent (not trimmed); may be empty. */
export function readMessage(value: unknown, maxChars: number): string | Problem {
  if (value === undefined || value === null) return missingField('message')
  if (typeof value !== 'string') return wrongType('message', 'a string', value)
  if (value.length > maxChars) return tooLong('message', value, maxChars)
  if (value.includes(NUL)) return hasNul('message')
  return value
}

/**
 * An identity (`transaction_id`, `user_id`): a string kept exactly as sent, or a JSON integer
 * turned into its decimal string. Leading or trailing whitespace is rejected rather than trimmed,
 * so that an id is never silently merged with another one.
 */
export function readId(field: string, value: unknown, maxChars: number): string | Problem {
  if (value === undefined || value === null) return missingField(field)
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value)
    return invalidValue(field, `${showValue(value)} is not an integer below 2^53; send ids as strings`)
  }
  if (typeof value !== 'string') return wrongType(field, 'a string or an integer', value)
  return checkIdText(field, value, maxChars)
}

/** Like `readId`, but absent or null is null. */
export function readOptionalId(field: string, value: unknown, maxChars: number): string | null | Problem {
  return value === undefined || value === null ? null : readId(field, value, maxChars)
}

/** `event_id`: a string only (no number); absent or null is null. */
export function readEventId(value: unknown, maxChars: number): string | null | Problem {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') return wrongType('event_id', 'a string', value)
  return checkIdText('event_id', value, maxChars)
}

function checkIdText(field: string, value: string, maxChars: number): string | Problem {
  if (value.length === 0) return invalidValue(field, 'is empty')
  if (value.length > maxChars) return tooLong(field, value, maxChars)
  if (value.trim() !== value) {
    return invalidValue(field, `${showValue(value)} has leading or trailing whitespace`)
  }
  if (value.includes(NUL)) return hasNul(field)
  return value
}

/**
 * Optional free text (`merchant`, `status`): trimmed; absent, null or blank is null;
 * `lowerCase` folds case so that "DECLINED" and "declined" count as one status.
 */
export function readOptionalText(
  field: string,
  value: unknown,
  maxChars: number,
  lowerCase: boolean,
): string | null | Problem {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') return wrongType(field, 'a string', value)
  const text = value.trim()
  if (text.length === 0) return null
  if (text.length > maxChars) return tooLong(field, value, maxChars)
  if (text.includes(NUL)) return hasNul(field)
  return lowerCase ? text.toLowerCase() : text
}

const CURRENCY_CODE = /^[A-Za-z]{3}$/

/** Three ASCII letters, upper-cased ("usd" is "USD"); not checked against the ISO 4217 list. */
export function readCurrency(value: unknown): string | Problem {
  if (value === undefined || value === null) return missingField('currency')
  if (typeof value !== 'string') return wrongType('currency', 'a string', value)
  const code = value.trim()
  if (!CURRENCY_CODE.test(code)) return invalidValue('currency', `${showValue(value)} is not a 3-letter code`)
  return code.toUpperCase()
}

/**
 * A JSON number, or a string holding a decimal number (surrounding whitespace ignored), within
 * min..max inclusive. Booleans, arrays and objects are `wrong_type`; "", "0x10", "NaN", and values
 * that overflow to Infinity ("1e400", or 1e400 as a JSON number) are `invalid_value`. -0 becomes 0.
 */
export function readNumber(field: string, value: unknown, min: number, max: number): number | Problem {
  if (value === undefined || value === null) return missingField(field)
  let n: number
  if (typeof value === 'number') {
    n = value
  } else if (typeof value === 'string') {
    const text = value.trim()
    if (!DECIMAL_NUMBER.test(text)) return invalidValue(field, `${showValue(value)} is not a number`)
    n = Number(text)
  } else {
    return wrongType(field, 'a number', value)
  }
  if (!Number.isFinite(n)) return invalidValue(field, `${showValue(value)} is not a finite number`)
  if (n < min || n > max) return outOfRange(field, value, min, max)
  return n + 0
}

function tooLong(field: string, value: string, maxChars: number): Problem {
  return invalidValue(field, `${showValue(value)} is longer than ${maxChars} characters`)
}

function hasNul(field: string): Problem {
  return invalidValue(field, 'contains U+0000, which PostgreSQL cannot store')
}
