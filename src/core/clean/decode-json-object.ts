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
  return parsed as Record<string, unknown>
}
