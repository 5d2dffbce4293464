import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { splitJson, splitNdjson } from './split-body.ts'

const enc = (s: string) => new TextEncoder().encode(s)
const texts = (result: ReturnType<typeof splitJson>) =>
  'records' in result ? result.records.map((r) => new TextDecoder().decode(r)) : result

describe('splitJson', () => {
  it.each([
    ['{"a":1}', ['{"a":1}']],
    ['  {"a":1}\n', ['{"a":1}']],
    ['\ufeff{"a":1}', ['{"a":1}']],
    ['[{"a":1}]', ['{"a":1}']],
    ['[ {"a":1} , {"b":[1,2,{"c":"]"}]} ]', ['{"a":1}', '{"b":[1,2,{"c":"]"}]}']],
    ['[{"m":"a,b\\"],["}, {"x":"\\\\"}]', ['{"m":"a,b\\"],["}', '{"x":"\\\\"}']],
    ['[{"s":"é 漢字 🎉"},{"t":1.50}]', ['{"s":"é 漢字 🎉"}', '{"t":1.50}']],
    ['[1, "x", null]', ['1', '"x"', 'null']],
    ['[{"a":}, {"b":2}]', ['{"a":}', '{"b":2}']],
    ['not json', ['not json']],
  ])('%s', (body, expected) => {
    expect(texts(splitJson(enc(body)))).toEqual(expected)
  })

  it.each([
    ['', 'body: empty'],
    ['[]', 'body: the array is empty'],
    ['[{"a":1},]', 'body: array element 1 is empty'],
    ['[,{"a":1}]', 'body: array element 0 is empty'],
    ['[{"a":1}', 'body: the array is not closed'],
    ['[{"a":1}]]', 'body: unexpected data after the array'],
    ['[{"a":1}} ]', 'body: unbalanced "}"'],
    ['[{"a":1}] x', 'body: unexpected data after the array'],
  ])('refuses %j', (body, message) => {
    const result = splitJson(enc(body))
    expect('error' in result && result.error).toContain(message)
  })

  it('gives back exactly the elements JSON.stringify wrote, for any values', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 20 }), (values) => {
        const parts = values.map((v) => JSON.stringify(v))
        expect(texts(splitJson(enc(`[${parts.join(',')}]`)))).toEqual(parts)
      }),
    )
  })
})

describe('splitNdjson', () => {
  it.each([
    ['{"a":1}\n{"b":2}\n', ['{"a":1}', '{"b":2}']],
    ['{"a":1}\r\n\r\n  {"b":2}', ['{"a":1}', '{"b":2}']],
    ['{"a":1}', ['{"a":1}']],
    ['{"a":1}\nnot json\n', ['{"a":1}', 'not json']],
  ])('%j', (body, expected) => {
    expect(texts(splitNdjson(enc(body)))).toEqual(expected)
  })

  it('refuses a body without events', () => {
    expect(splitNdjson(enc('\n \n'))).toEqual({ error: expect.stringContaining('body: no events') })
  })
})
