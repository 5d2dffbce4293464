import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeLakeLine, encodeLakeLine, type LakeRecord } from './lake-line.ts'

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))
const raw = (...values: number[]) => new Uint8Array(values)

function aRecord(overrides: Partial<LakeRecord> = {}): LakeRecord {
  return {
    topic: 'logs',
    partition: 2,
    offset: 41,
    key: bytes('checkout'),
    value: bytes('{"level":"INFO"}'),
    timestampMs: 1_735_689_600_000,
    headers: [],
    ...overrides,
  }
}

describe('encodeLakeLine', () => {
  it('writes UTF-8 bytes as text, fields in a fixed order', () => {
    expect(encodeLakeLine(aRecord({ headers: [['trace', bytes('abc')]] }))).toBe(
      '{"topic":"logs","partition":2,"offset":41,"timestamp_ms":1735689600000,"key":"checkout",' +
        '"value":"{\\"level\\":\\"INFO\\"}","headers":[{"key":"trace","value":"abc"}]}',
    )
  })

  it.each([
    ['a lone continuation byte', raw(0x80), 'gA=='],
    ['a truncated sequence', raw(0xe2, 0x82), '4oI='],
    ['an overlong encoding', raw(0xc0, 0xaf), 'wK8='],
    ['a UTF-16 surrogate', raw(0xed, 0xa0, 0x80), '7aCA'],
  ])('writes invalid UTF-8 (%s) as base64 with a flag', (_, value, base64) => {
    const line = encodeLakeLine(aRecord({ value, key: raw(0xff) }))
    expect(JSON.parse(line)).toMatchObject({
      key: '/w==',
      key_base64: true,
      value: base64,
      value_base64: true,
    })
  })

  it.each([
    ['a null key and value (tombstone)', { key: null, value: null }, { key: null, value: null }],
    ['an empty value', { value: raw() }, { value: '' }],
    ['a leading byte order mark', { value: raw(0xef, 0xbb, 0xbf, 0x41) }, { value: '\ufeffA' }],
    ['a NUL byte', { value: raw(0x41, 0x00) }, { value: 'A\u0000' }],
    ['a timestamp that is not a whole number', { timestampMs: Number.NaN }, { timestamp_ms: -1 }],
  ])('writes %s', (_, overrides, expected) => {
    const parsed = JSON.parse(encodeLakeLine(aRecord(overrides)))
    expect(parsed).toMatchObject(expected)
    expect(parsed).not.toHaveProperty('value_base64')
  })

  it('never contains a raw newline, so one record is one line', () => {
    expect(encodeLakeLine(aRecord({ value: bytes('a\nb\r\nc\u2028') }))).not.toMatch(/[\n\r]/)
  })
})

describe('decodeLakeLine', () => {
  const arbitraryRecord = fc.record({
    topic: fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
    partition: fc.nat(1000),
    offset: fc.nat(),
    timestampMs: fc.integer({ min: -1, max: 4_102_444_800_000 }),
    key: fc.option(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string().map(bytes))),
    value: fc.option(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'grapheme' }).map(bytes))),
    headers: fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 20 })), {
      maxLength: 3,
    }),
  })

  it('gives back every byte of any record (property)', () => {
    fc.assert(
      fc.property(arbitraryRecord, (record) => {
        const decoded = decodeLakeLine(encodeLakeLine(record))
        expect(decoded).toEqual({ ok: true, record })
      }),
      { numRuns: 500 },
    )
  })

  it('ignores a trailing newline', () => {
    expect(decodeLakeLine(`${encodeLakeLine(aRecord())}\n`)).toEqual({ ok: true, record: aRecord() })
  })

  it.each([
    ['not JSON', '{"topic":', /^not valid JSON/],
    ['an array', '[]', /^expected a JSON object/],
    ['no topic', '{"partition":0}', /^topic:/],
    ['a negative offset', '{"topic":"t","partition":0,"offset":-1}', /^offset:/],
    ['a fractional timestamp', '{"topic":"t","partition":0,"offset":1,"timestamp_ms":1.5}', /^timestamp_ms:/],
    [
      'bad base64',
      '{"topic":"t","partition":0,"offset":1,"timestamp_ms":1,"key":null,"value":"%%","value_base64":true}',
      /^value: not valid base64/,
    ],
    [
      'a numeric value',
      '{"topic":"t","partition":0,"offset":1,"timestamp_ms":1,"key":null,"value":3}',
      /^value: expected a string/,
    ],
    [
      'a header without a key',
      '{"topic":"t","partition":0,"offset":1,"timestamp_ms":1,"key":null,"value":"","headers":[{"value":"x"}]}',
      /^headers\[0\]/,
    ],
  ])('reports %s as a problem, without throwing', (_, line, problem) => {
    const decoded = decodeLakeLine(line)
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.problem).toMatch(problem)
  })
})
