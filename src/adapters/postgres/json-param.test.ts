import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toJsonParam } from './json-param.ts'

describe('toJsonParam', () => {
  it.each([
    [
      'plain values unchanged',
      { a: 'é 😀', n: 1.5, b: null, l: [true] },
      { a: 'é 😀', n: 1.5, b: null, l: [true] },
    ],
    ['a lone high surrogate', { m: 'x\ud800y' }, { m: 'x\ufffdy' }],
    ['a lone low surrogate in an array', ['\udc00'], ['\ufffd']],
    ['a NUL in a nested string', { a: { b: 'nul\u0000' } }, { a: { b: 'nul\ufffd' } }],
    ['a NUL and a surrogate in keys', { 'k\u0000': { '\ud800': 1 } }, { 'k\ufffd': { '\ufffd': 1 } }],
    ['a backslash followed by "ud" is text, not an escape', { m: '\\ud800' }, { m: '\\ud800' }],
    ['control characters are kept', { m: 'a\tb\u0001' }, { m: 'a\tb\u0001' }],
  ])('%s', (_, value, expected) => {
    expect(JSON.parse(toJsonParam(value))).toEqual(expected)
  })

  it('never leaves a NUL or a lone surrogate, and changes nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        const text = toJsonParam(value)
        expect(text).not.toContain('\\u0000')
        expect(text.isWellFormed()).toBe(true)
        expect(/\\ud[89a-f][0-9a-f]{2}/i.test(text.replaceAll('\\\\', ''))).toBe(false)
        if (!JSON.stringify(value).includes('\\u0000') && !JSON.stringify(value).includes('\\ud')) {
          expect(text).toBe(JSON.stringify(value))
        }
      }),
      { numRuns: 500 },
    )
  })
})
