// The lake line of lake-line.ts, written as UTF-8 bytes straight into a buffer: the sink's hot
// path. The bytes are exactly those of `encodeLakeLine(record) + '\n'` (a property test holds the
// two together), without building a string per record: JSON escaping is done on the bytes, which
// for well-formed UTF-8 gives what JSON.stringify gives (it escapes `"`, `\` and U+0000..U+001F,
// and lone surrogates, which well-formed UTF-8 cannot hold). Pure.
import { isUtf8 } from 'node:buffer'
import { type LakeRecord, normalizeTimestampMs } from './lake-line.ts'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const HEX = '0123456789abcdef'

/** For each byte: 0 copy as is, else the escape's second character (`u` for \u00XX). */
const ESCAPE = new Uint8Array(256)
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 0x75 // u
ESCAPE[0x08] = 0x62 // b
ESCAPE[0x09] = 0x74 // t
ESCAPE[0x0a] = 0x6e // n
ESCAPE[0x0c] = 0x66 // f
ESCAPE[0x0d] = 0x72 // r
ESCAPE[QUOTE] = QUOTE
ESCAPE[BACKSLASH] = BACKSLASH

/** An upper bound of the bytes `writeLakeLine` writes for `record`. */
export function maxLakeLineBytes(record: LakeRecord): number {
  // Escaped UTF-8 takes at most 6 bytes per byte (\u00XX); base64 4 per 3.
  let bytes =
    160 + record.topic.length * 6 + 6 * ((record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0))
  for (const [name, value] of record.headers) bytes += 48 + name.length * 18 + value.byteLength * 6
  return bytes
}

function writeAscii(target: Buffer, pos: number, text: string): number {
  return pos + target.write(text, pos, 'latin1')
}

/** `bytes` as a JSON string (well-formed UTF-8) or base64 text; returns the new position and whether it was base64. */
function writeBytesField(target: Buffer, pos: number, bytes: Uint8Array): [number, boolean] {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  target[pos++] = QUOTE
  if (!isUtf8(buffer)) {
    pos += target.write(buffer.toString('base64'), pos, 'latin1')
    target[pos++] = QUOTE
    return [pos, true]
  }
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i]!
    const escaped = ESCAPE[c]!
    if (escaped === 0) {
      target[pos++] = c
    } else if (escaped !== 0x75) {
      target[pos++] = BACKSLASH
      target[pos++] = escaped
    } else {
      target[pos++] = BACKSLASH
      target[pos++] = 0x75
      target[pos++] = 0x30
      target[pos++] = 0x30
      target[pos++] = HEX.charCodeAt(c >> 4)
      target[pos++] = HEX.charCodeAt(c & 15)
    }
  }
  target[pos++] = QUOTE
  return [pos, false]
}

/**
 * Writes the line of `record` and its newline at `pos` of `target`, which must have room for
 * `maxLakeLineBytes(record)` bytes; returns the position after the newline.
 */
export function writeLakeLine(record: LakeRecord, target: Buffer, start: number): number {
  let pos = writeAscii(target, start, '{"topic":')
  pos += target.write(JSON.stringify(record.topic), pos, 'utf8')
  pos = writeAscii(
    target,
    pos,
    `,"partition":${record.partition},"offset":${record.offset},"timestamp_ms":${normalizeTimestampMs(record.timestampMs)},"key":`,
  )
  let base64: boolean
  if (record.key === null) pos = writeAscii(target, pos, 'null')
  else {
    ;[pos, base64] = writeBytesField(target, pos, record.key)
    if (base64) pos = writeAscii(target, pos, ',"key_base64":true')
  }
  pos = writeAscii(target, pos, ',"value":')
  if (record.value === null) pos = writeAscii(target, pos, 'null')
  else {
    ;[pos, base64] = writeBytesField(target, pos, record.value)
    if (base64) pos = writeAscii(target, pos, ',"value_base64":true')
  }
  pos = writeAscii(target, pos, ',"headers":[')
  for (let i = 0; i < record.headers.length; i++) {
    const [name, bytes] = record.headers[i]!
    pos = writeAscii(target, pos, i > 0 ? ',{"key":' : '{"key":')
    pos += target.write(JSON.stringify(name), pos, 'utf8')
    pos = writeAscii(target, pos, ',"value":')
    ;[pos, base64] = writeBytesField(target, pos, bytes)
    if (base64) pos = writeAscii(target, pos, ',"value_base64":true')
    target[pos++] = 0x7d // }
  }
  return writeAscii(target, pos, ']}\n')
}
