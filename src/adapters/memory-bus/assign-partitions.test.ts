import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AssignableMember, assignPartitions } from './assign-partitions.ts'

const TOPICS = ['a', 'b', 'c']

const scenario = fc.record({
  counts: fc.tuple(...TOPICS.map(() => fc.integer({ min: 0, max: 12 }))),
  members: fc.uniqueArray(
    fc.record({ id: fc.integer({ min: 1, max: 50 }), topics: fc.subarray(TOPICS, { minLength: 1 }) }),
    { selector: (m) => m.id, minLength: 1, maxLength: 6 },
  ),
})

function countsOf(counts: number[]): Map<string, number> {
  return new Map(TOPICS.map((t, i) => [t, counts[i]!]))
}

describe('assignPartitions', () => {
  it('gives every partition of a subscribed topic to exactly one member that subscribes to it', () => {
    fc.assert(
      fc.property(scenario, ({ counts, members }) => {
        const assignment = assignPartitions(members, countsOf(counts))
        const given = [...assignment.entries()].flatMap(([id, list]) =>
          list.map(([t, p]) => ({ id, key: `${t}/${p}` })),
        )
        for (const { id, key } of given) {
          expect(members.find((m) => m.id === id)!.topics).toContain(key.split('/')[0])
        }
        const subscribed = new Set(members.flatMap((m) => m.topics))
        const expected = TOPICS.filter((t) => subscribed.has(t)).flatMap((t, _) =>
          Array.from({ length: counts[TOPICS.indexOf(t)]! }, (_, p) => `${t}/${p}`),
        )
        expect(given.map((g) => g.key).sort()).toEqual(expected.sort())
      }),
    )
  })

  it('balances members with the same subscription within one partition, and ignores input order', () => {
    fc.assert(
      fc.property(scenario, ({ counts, members }) => {
        const same: AssignableMember[] = members.map((m) => ({ id: m.id, topics: TOPICS }))
        const assignment = assignPartitions(same, countsOf(counts))
        const sizes = [...assignment.values()].map((list) => list.length)
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
        expect(assignPartitions([...same].reverse(), countsOf(counts))).toEqual(assignment)
      }),
    )
  })

  it('assigns round robin in join order', () => {
    const assignment = assignPartitions(
      [
        { id: 2, topics: ['a'] },
        { id: 1, topics: ['a', 'b'] },
      ],
      new Map([
        ['a', 3],
        ['b', 2],
        ['missing', 4],
      ]),
    )
    expect(assignment).toEqual(
      new Map([
        [
          1,
          [
            ['a', 0],
            ['a', 2],
            ['b', 0],
            ['b', 1],
          ],
        ],
        [2, [['a', 1]]],
      ]),
    )
  })
})
