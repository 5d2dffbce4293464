import { describe, expect, it } from 'vitest'
import { type CoverageFilter, isInTimeRange, summarizeCoverage } from './lake-coverage.ts'

const key = (topic: string, partition: number, first: number, last: number, hour = 10) =>
  `topic=${topic}/dt=2025-01-01/hour=${String(hour).padStart(2, '0')}/${topic}+${partition}+${first}+${last}.jsonl.gz`
const H10 = Date.UTC(2025, 0, 1, 10)

describe('summarizeCoverage', () => {
  it('orders objects by offset per partition, and finds gaps and overlaps', () => {
    const coverage = summarizeCoverage([
      key('logs', 0, 20, 29, 9),
      key('logs', 0, 0, 9),
      key('logs', 0, 40, 49),
      key('logs', 0, 25, 35),
      key('logs', 0, 41, 42),
      key('logs', 1, 0, 0),
      'topic=logs/not-an-object',
    ])
    expect(
      coverage.map((c) => [c.topic, c.partition, c.objects.map((o) => [o.firstOffset, o.lastOffset])]),
    ).toEqual([
      [
        'logs',
        0,
        [
          [0, 9],
          [20, 29],
          [25, 35],
          [40, 49],
        ],
      ],
      ['logs', 1, [[0, 0]]],
    ])
    expect(coverage[0]!.gaps).toEqual([
      [10, 19],
      [36, 39],
    ])
    expect(coverage[0]!.overlaps).toEqual([key('logs', 0, 25, 35), key('logs', 0, 41, 42)])
  })

  it.each([
    ['a topic', { topics: new Set(['metrics']) }, [[0, 0]]],
    [
      'since the middle of hour 10',
      { sinceMs: H10 + 1_800_000 },
      [
        [1, 1],
        [2, 2],
      ],
    ],
    [
      'until the start of hour 11',
      { untilMs: H10 + 3_600_000 },
      [
        [0, 0],
        [1, 1],
      ],
    ],
    ['an empty window', { sinceMs: H10, untilMs: H10 }, []],
  ] as Array<[string, CoverageFilter, number[][]]>)('keeps the objects of %s', (_, filter, expected) => {
    const keys = [
      key('logs', 0, 0, 0, 9),
      key('logs', 0, 1, 1, 10),
      key('logs', 0, 2, 2, 11),
      key('metrics', 0, 0, 0),
    ]
    const filtered = filter.topics ? filter : { ...filter, topics: new Set(['logs']) }
    expect(
      summarizeCoverage(keys, filtered).flatMap((c) => c.objects.map((o) => [o.firstOffset, o.lastOffset])),
    ).toEqual(expected)
  })

  it.each([
    [100, undefined, undefined, true],
    [100, 100, 200, true],
    [200, 100, 200, false],
    [99, 100, undefined, false],
  ])('isInTimeRange(%s, %s, %s) is %s', (ts, since, until, inside) => {
    expect(isInTimeRange(ts, since, until)).toBe(inside)
  })
})
