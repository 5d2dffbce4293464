// An ingest body -> the bytes of each event, exactly as sent (so what reaches the bus, and the
// lake, is what the service wrote). Three shapes: one JSON value, a JSON array of values, or NDJSON
// (one value per line). Each element's bytes are cleaned on their own: a bad element is rejected
// with a reason, the others go on. Only a body whose framing cannot be read is refused whole.
//
// The array scanner works on bytes: JSON's structural characters are ASCII and never occur inside
// a multi-byte UTF-8 sequence, so slicing at them keeps each element's bytes intact.

export type SplitResult = { records: Uint8Array[] } | { error: string }

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const NEWLINE = 0x0a
const RETURN = 0x0d

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === NEWLINE || byte === RETURN
}

/** Drops a UTF-8 byte order mark. */
function withoutBom(body: Uint8Array): Uint8Array {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf
    ? body.subarray(3)
    : body
}

function trim(bytes: Uint8Array, start: number, end: number): Uint8Array {
  while (start < end && isSpace(bytes[start]!)) start++
  while (end > start && isSpace(bytes[end - 1]!)) end--
  return bytes.subarray(start, end)
}

/** One event per non-blank line; `\r\n` line ends are fine. */
export function splitNdjson(body: Uint8Array): SplitResult {
  const bytes = withoutBom(body)
  const records: Uint8Array[] = []
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === NEWLINE) {
      const line = trim(bytes, start, i)
      if (line.length > 0) records.push(line)
      start = i + 1
    }
  }
  return records.length > 0 ? { records } : { error: 'body: no events (expected one JSON object per line)' }
}

/** A JSON array: its elements; anything else: the whole body as one event. */
export function splitJson(body: Uint8Array): SplitResult {
  const unmarked = withoutBom(body)
  const bytes = trim(unmarked, 0, unmarked.length)
  if (bytes.length === 0)
    return { error: 'body: empty (expected a JSON object, an array of them, or NDJSON)' }
  if (bytes[0] !== OPEN_BRACKET) return { records: [bytes] }
  return splitArray(bytes)
}

function splitArray(bytes: Uint8Array): SplitResult {
  const records: Uint8Array[] = []
  let depth = 0
  let inString = false
  let elementStart = 1
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
      continue
    }
    if (byte === QUOTE) inString = true
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++
    else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--
      if (depth < 0) return { error: `body: unbalanced "${String.fromCharCode(byte)}" at byte ${i}` }
      if (depth === 0) {
        if (byte !== CLOSE_BRACKET) return { error: `body: unbalanced "}" at byte ${i}` }
        const last = trim(bytes, elementStart, i)
        if (last.length > 0) records.push(last)
        else if (records.length > 0) return { error: `body: array element ${records.length} is empty` }
        if (trim(bytes, i + 1, bytes.length).length > 0) {
          return { error: `body: unexpected data after the array at byte ${i + 1}` }
        }
        return records.length > 0 ? { records } : { error: 'body: the array is empty' }
      }
    } else if (byte === COMMA && depth === 1) {
      const element = trim(bytes, elementStart, i)
      if (element.length === 0) return { error: `body: array element ${records.length} is empty` }
      records.push(element)
      elementStart = i + 1
    }
  }
  return { error: 'body: the array is not closed (truncated body?)' }
}
