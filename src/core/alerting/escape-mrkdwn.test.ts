import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeMrkdwn, flatten, truncate, untrustedLine } from './escape-mrkdwn.ts'

describe('escapeMrkdwn', () => {
  it.each([
    ['plain text', 'payments-api', 'payments-api'],
    ['a channel ping', '<!channel>', '&lt;!channel&gt;'],
    ['a forged link', '<https://evil|click>', '&lt;https://evil|click&gt;'],
    ['a user mention', '<@U123>', '&lt;@U123&gt;'],
    ['an ampersand first, so entities are not doubled', 'a & b &lt;', 'a &amp; b &amp;lt;'],
    ['markup characters Slack does not parse as control', '*bold* _it_ `code`', '*bold* _it_ `code`'],
  ])('%s', (_, input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected)
  })

  it('leaves no < or > and only entity ampersands, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        const escaped = escapeMrkdwn(input)
        expect(escaped).not.toMatch(/[<>]/)
        expect(escaped.replace(/&(amp|lt|gt);/g, '')).not.toContain('&')
      }),
    )
  })
})

describe('untrustedLine', () => {
  it.each([
    ['newlines that would forge a line', 'svc\nvalue *0* > 1', 80, 'svc value *0* &gt; 1'],
    ['control characters', 'a\u0000b\u001bc\u2028d', 80, 'a b c d'],
    ['long text, cut before escaping', '<<<<<<<<<<', 5, '&lt;&lt;&lt;&lt;…'],
    ['an emoji never split', '😀😀😀😀', 3, '😀😀…'],
    ['the evil case', '<!channel> <https://evil|click>', 80, '&lt;!channel&gt; &lt;https://evil|click&gt;'],
  ])('%s', (_, input, max, expected) => {
    expect(untrustedLine(input, max)).toBe(expected)
  })

  it('keeps at most maxChars code points before escaping, on one line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 50 }), (input, max) => {
        const cut = truncate(flatten(input), max)
        expect(Array.from(cut).length).toBeLessThanOrEqual(max)
        expect(untrustedLine(input, max)).not.toMatch(/[\n\r<>]/)
      }),
    )
  })
})
