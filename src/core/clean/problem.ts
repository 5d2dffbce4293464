// What a check found wrong with a record, before it becomes a Rejection. Checks return
// `value | Problem` rather than throwing: bad data is a value, and throwing is slow on the hot path.
import type { RejectReason } from '../../contracts/events.ts'

export class Problem {
  readonly reason: RejectReason
  /** `<field>: <what is wrong>`, for people */
  readonly message: string
  constructor(reason: RejectReason, message: string) {
    this.reason = reason
    this.message = message
  }
}

/** At most this many characters of a bad value are quoted back in a message. */
const MAX_QUOTED_CHARS = 100

/** A bad value as a message quotes it: JSON-like, cut to ~100 characters, never a nested structure. */
export function showValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_QUOTED_CHARS
        ? `${JSON.stringify(value.slice(0, MAX_QUOTED_CHARS))}… (${value.length} characters)`
        : JSON.stringify(value)
    case 'number':
    case 'boolean':
      return String(value)
    default:
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  }
}

/** The JSON type of a value, with its article: "a string", "an array", "null". */
export function describeType(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 'a string'
    case 'number':
      return 'a number'
    case 'boolean':
      return 'a boolean'
    default:
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  }
}

/** A field name as messages print it: attribute keys come from the data and may be long. */
export function fieldLabel(field: string): string {
  return field.length > MAX_QUOTED_CHARS ? `${field.slice(0, MAX_QUOTED_CHARS)}…` : field
}

export function missingField(field: string): Problem {
  return new Problem('missing_field', `${field}: missing (required)`)
}

export function wrongType(field: string, expected: string, value: unknown): Problem {
  const got = typeof value === 'object' ? describeType(value) : `${describeType(value)} (${showValue(value)})`
  return new Problem('wrong_type', `${field}: expected ${expected}, got ${got}`)
}

export function invalidValue(field: string, what: string): Problem {
  return new Problem('invalid_value', `${field}: ${what}`)
}

export function outOfRange(field: string, value: unknown, min: number, max: number): Problem {
  return new Problem('out_of_range', `${field}: ${showValue(value)} is outside ${min}..${max}`)
}
