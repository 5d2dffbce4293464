// One archived record as one line of JSON: the record unchanged, where it came from, and nothing
// else. Pure: no I/O; never throws (a bad line decodes to a problem, not an exception).
//
// {"topic":"logs","partition":0,"offset":42,"timestamp_ms":1735689600000,"key":"checkout",
//  "value":"{\"timestamp\":…}","headers":[{"key":"trace","value":"abc"}]}
//
// Bytes that are well-formed UTF-8 are written as a JSON string (readable, queryable); any other
// bytes as base64 with a `*_base64: true` flag beside them. Either way decoding gives back exactly
// the bytes that were received. A null key or value (Kafka tombstone) is `null`. Fields are always
// written in this order, so the same record always gives the same line.
import { isUtf8 } from 'node:buffer'

/** What the lake keeps of a record. The pipelines' `RawRecord` satisfies it (declared here so the core does not depend on the ports). */
export interface LakeRecord {
  /** full topic name, as on the broker */
  topic: string
  partition: number
  offset: number
  key: Uint8Array | null
  value: Uint8Array | null
  /** the record's timestamp on the bus, UTC epoch milliseconds */
  timestampMs: number
  headers: ReadonlyArray<readonly [string, Uint8Array]>
}

export type DecodedLine = { ok: true; record: LakeRecord } | { ok: false; problem: string }

interface EncodedBytes {
  text: string | null
  base64: boolean
}

function encodeBytes(bytes: Uint8Array | null): EncodedBytes {
  if (bytes === null) return { text: null, base64: false }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Buffer's UTF-8 decoder keeps a leading BOM, so decode(encode(x)) is x byte for byte.
  if (isUtf8(buffer)) return { text: buffer.toString('utf8'), base64: false }
  return { text: buffer.toString('base64'), base64: true }
}

/**
 * Kafka timestamps are int64 milliseconds, -1 when a record has none; anything that is not a
 * whole number (it cannot come from Kafka) is written as -1 too, so a line is always valid JSON.
 */
export function normalizeTimestampMs(timestampMs: number): number {
  return Number.isSafeInteger(timestampMs) ? timestampMs : -1
}

/** The line for `record`, without the trailing newline. */
export function encodeLakeLine(record: LakeRecord): string {
  const key = encodeBytes(record.key)
  const value = encodeBytes(record.value)
  let line = `{"topic":${JSON.stringify(record.topic)},"partition":${record.partition},"offset":${record.offset},"timestamp_ms":${normalizeTimestampMs(record.timestampMs)},"key":${JSON.stringify(key.text)}`
  if (key.base64) line += ',"key_base64":true'
  line += `,"value":${JSON.stringify(value.text)}`
  if (value.base64) line += ',"value_base64":true'
  line += ',"headers":['
  for (let i = 0; i < record.headers.length; i++) {
    const [name, bytes] = record.headers[i]!
    const header = encodeBytes(bytes)
    if (i > 0) line += ','
    line += `{"key":${JSON.stringify(name)},"value":${JSON.stringify(header.text)}`
    if (header.base64) line += ',"value_base64":true'
    line += '}'
  }
  return `${line}]}`
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function decodeBytes(text: unknown, base64: unknown, field: string): Uint8Array | null | string {
  if (text === null)
    return base64 === undefined || base64 === false ? null : `${field}: null with a base64 flag`
  if (typeof text !== 'string') return `${field}: expected a string or null`
  if (base64 === true) {
    if (!BASE64.test(text)) return `${field}: not valid base64`
    return new Uint8Array(Buffer.from(text, 'base64'))
  }
  if (base64 !== undefined && base64 !== false) return `${field}_base64: expected true or false`
  return new Uint8Array(Buffer.from(text, 'utf8'))
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Parses one line (a trailing newline or carriage return is ignored). */
export function decodeLakeLine(line: string): DecodedLine {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch (error) {
    return { ok: false, problem: `not valid JSON: ${(error as Error).message}` }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: 'expected a JSON object' }
  }
  const o = parsed as Record<string, unknown>
  if (typeof o['topic'] !== 'string' || o['topic'] === '')
    return { ok: false, problem: 'topic: expected a name' }
  if (!isOffset(o['partition'])) return { ok: false, problem: 'partition: expected a whole number >= 0' }
  if (!isOffset(o['offset'])) return { ok: false, problem: 'offset: expected a whole number >= 0' }
  const timestampMs = o['timestamp_ms']
  if (typeof timestampMs !== 'number' || !Number.isSafeInteger(timestampMs)) {
    return { ok: false, problem: 'timestamp_ms: expected a whole number of milliseconds' }
  }
  const key = decodeBytes(o['key'], o['key_base64'], 'key')
  if (typeof key === 'string') return { ok: false, problem: key }
  const value = decodeBytes(o['value'], o['value_base64'], 'value')
  if (typeof value === 'string') return { ok: false, problem: value }
  const rawHeaders = o['headers'] ?? []
  if (!Array.isArray(rawHeaders)) return { ok: false, problem: 'headers: expected an array' }
  const headers: [string, Uint8Array][] = []
  for (const [i, header] of rawHeaders.entries()) {
    if (header === null || typeof header !== 'object' || typeof header.key !== 'string') {
      return { ok: false, problem: `headers[${i}]: expected {"key","value"}` }
    }
    const bytes = decodeBytes(header.value, header.value_base64, `headers[${i}].value`)
    if (typeof bytes === 'string') return { ok: false, problem: bytes }
    headers.push([header.key, bytes ?? new Uint8Array(0)])
  }
  return {
    ok: true,
    record: {
      topic: o['topic'],
      partition: o['partition'],
      offset: o['offset'],
      timestampMs,
      key,
      value,
      headers,
    },
  }
}
