// Bytes -> the JSON object they hold, checked in the order that costs least: size, UTF-8, JSON, shape.
import { describeType, Problem } from './problem.ts'

/** One decoder for every record: `fatal` makes malformed UTF-8 an error instead of U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** JSON.parse's own message quotes the input; it is cut to this many characters. */
const MAX_PARSE_ERROR_CHARS = 120

/**
 * The object encoded in `value`, or the Problem with it. A leading UTF-8 byte order mark is
 * dropped. Duplicate keys are not an error: as in JSON.parse, the last one wins.
 */
export function decodeJsonObject(
  value: Uint8Array | null | undefined,
  maxMessageBytes: number,
): Record<string, unknown> | Problem {
  if (value === null || value === undefined)
    return new Problem('empty', 'value: null (a tombstone or an empty message)')
  const bytes = value.byteLength
  if (bytes === 0) return new Problem('empty', 'value: 0 bytes')
  if (bytes > maxMessageBytes) {
    return new Problem('oversized', `value: ${bytes} bytes is over the limit of ${maxMessageBytes} bytes`)
  }
  let text: string
  try {
    text = UTF8.decode(value)
  } catch {
    return new Problem('invalid_utf8', 'value: not valid UTF-8')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const cut = reason.length > MAX_PARSE_ERROR_CHARS ? `${reason.slice(0, MAX_PARSE_ERROR_CHARS)}…` : reason
    return new Problem('invalid_json', `value: not valid JSON: ${cut}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return new Problem('not_an_object', `value: expected a JSON object, got ${describeType(parsed)}`)
  }
  // JSON may escape half a surrogate pair ("\ud800"): valid JSON, but not Unicode text, and
  // PostgreSQL refuses it, which would fail the whole batch on every retry. Only messages that
  // hold such an escape pay for the walk.
  if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(parsed)) {
    return new Problem(
      'invalid_value',
      'value: holds an unpaired surrogate escape such as "\\ud800", which is not text',
    )
  }
  return parsed as Record<string, unknown>
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** Whether any string or key in the parsed value is not well-formed UTF-16. No recursion. */
function hasLoneSurrogate(root: unknown): boolean {
  const pending: unknown[] = [root]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return true
    } else if (Array.isArray(value)) {
      pending.push(...value)
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (!key.isWellFormed()) return true
        pending.push(child)
      }
    }
  }
  return false
}
