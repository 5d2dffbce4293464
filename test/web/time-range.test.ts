// The dashboard's shared time range, read from the URL: presets, relative and custom ranges.
import { describe, expect, it } from 'vitest'
import { parseRelativeMs, rangeSearch, readTimeRange } from '../../web/src/lib/time-range.ts'

const NOW_MS = Date.parse('2026-01-31T12:00:00Z')

describe('readTimeRange', () => {
  it.each([
    ['', { from: '-15m', to: null, spanMs: 900_000, label: 'Last 15 m' }],
    ['from=-1h', { from: '-1h', to: null, spanMs: 3_600_000, label: 'Last 1 h' }],
    ['from=-24h', { from: '-24h', to: null, spanMs: 86_400_000, label: 'Last 24 h' }],
    ['from=-2d', { from: '-2d', to: null, spanMs: 172_800_000, label: 'Last 2d' }],
    [
      'from=2026-01-31T10:00:00.000Z&to=2026-01-31T11:00:00.000Z',
      {
        from: '2026-01-31T10:00:00.000Z',
        to: '2026-01-31T11:00:00.000Z',
        spanMs: 3_600_000,
        label: 'Custom',
      },
    ],
    [
      'from=2026-01-31T11:30:00.000Z',
      { from: '2026-01-31T11:30:00.000Z', to: null, spanMs: 1_800_000, label: 'Custom' },
    ],
    ['from=garbage', { from: 'garbage', to: null, spanMs: 900_000, label: 'Custom' }],
  ])('%s', (search, expected) => {
    expect(readTimeRange(new URLSearchParams(search), NOW_MS)).toEqual(expected)
  })
})

describe('parseRelativeMs', () => {
  it.each([
    ['-30s', 30_000],
    ['-15m', 900_000],
    ['-1h', 3_600_000],
    ['-7d', 604_800_000],
    ['15m', null],
    ['-1y', null],
    ['now', null],
  ])('%s -> %s', (text, expected) => {
    expect(parseRelativeMs(text)).toBe(expected)
  })
})

describe('rangeSearch', () => {
  it('keeps only the range, for links to other pages', () => {
    expect(rangeSearch(new URLSearchParams('from=-1h&level=ERROR&cursor=abc'))).toBe('?from=-1h')
    expect(rangeSearch(new URLSearchParams('level=ERROR'))).toBe('')
    expect(rangeSearch(new URLSearchParams('from=a&to=b'))).toBe('?from=a&to=b')
  })
})
