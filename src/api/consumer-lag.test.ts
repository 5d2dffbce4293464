import { describe, expect, it } from 'vitest'
import type { StoredPosition } from '../adapters/postgres/queries/index.ts'
import type { PartitionRange } from '../pipelines/ports.ts'
import { lagBehindPositions, lagFromStoredPositions } from './consumer-lag.ts'

const position = (group: string, topic: string, partition: number, nextOffset: number): StoredPosition => ({
  group,
  topic,
  partition,
  nextOffset,
})
const range = (topic: string, partition: number, start: number, end: number): PartitionRange => ({
  topic,
  partition,
  start,
  end,
})

describe('lagBehindPositions', () => {
  it('counts from the stored position to the log end, per partition of the topics the group reads', () => {
    const lag = lagBehindPositions(
      [position('etl', 'logs', 0, 90), position('etl', 'logs', 1, 40), position('etl', 'metrics', 0, 7)],
      [
        range('logs', 0, 0, 100),
        range('logs', 1, 0, 40),
        range('metrics', 0, 0, 10),
        range('transactions', 0, 0, 5),
      ],
    )
    expect(lag).toEqual([
      { group: 'etl', topic: 'logs', partition: 0, records: 10 },
      { group: 'etl', topic: 'logs', partition: 1, records: 0 },
      { group: 'etl', topic: 'metrics', partition: 0, records: 3 },
    ])
  })

  it('counts a partition without a position, and one whose position fell out of retention, from the log start', () => {
    const lag = lagBehindPositions(
      [position('etl', 'logs', 0, 5)],
      [range('logs', 0, 20, 50), range('logs', 1, 10, 30)],
    )
    expect(lag.map((s) => s.records)).toEqual([30, 20])
  })

  it('keeps groups apart and never counts below zero', () => {
    const lag = lagBehindPositions(
      [position('a', 'logs', 0, 10), position('b', 'logs', 0, 60)],
      [range('logs', 0, 0, 50)],
    )
    expect(lag).toEqual([
      { group: 'a', topic: 'logs', partition: 0, records: 40 },
      { group: 'b', topic: 'logs', partition: 0, records: 0 },
    ])
  })
})

describe('lagFromStoredPositions', () => {
  it('asks the bus once per reuse period, only for the stored topics, and asks again after a failure', async () => {
    let nowMs = 0
    const asked: string[][] = []
    let failNext = false
    const lag = lagFromStoredPositions({
      readPositions: async () => [position('etl', 'logs', 0, 3)],
      bus: {
        async offsetRanges(topics) {
          asked.push([...topics])
          if (failNext) {
            failNext = false
            throw new Error('broker down')
          }
          return [range('logs', 0, 0, 10)]
        },
      },
      reuseForMs: 1_000,
      now: () => nowMs,
    })
    expect(await lag()).toEqual([{ group: 'etl', topic: 'logs', partition: 0, records: 7 }])
    nowMs = 999
    await lag()
    expect(asked).toEqual([['logs']])
    nowMs = 1_000
    failNext = true
    await expect(lag()).rejects.toThrow('broker down')
    expect(await lag()).toHaveLength(1)
    expect(asked).toHaveLength(3)
  })

  it('asks one question at a time and lets no caller wait past the timeout', async () => {
    let asked = 0
    let answer: (ranges: PartitionRange[]) => void = () => undefined
    const lag = lagFromStoredPositions({
      readPositions: async () => [position('etl', 'logs', 0, 3)],
      bus: {
        offsetRanges: () => {
          asked++
          return new Promise((resolve) => {
            answer = resolve
          })
        },
      },
      timeoutMs: 20,
    })
    await expect(lag()).rejects.toThrow('consumer lag: no answer within 20 ms')
    await expect(lag()).rejects.toThrow('no answer within 20 ms')
    expect(asked).toBe(1)
    answer([range('logs', 0, 0, 10)])
    expect(await lag()).toEqual([{ group: 'etl', topic: 'logs', partition: 0, records: 7 }])
    expect(asked).toBe(1)
  })

  it('asks nothing of the bus while no position is stored', async () => {
    const lag = lagFromStoredPositions({
      readPositions: async () => [],
      bus: {
        offsetRanges: async () => {
          throw new Error('not expected')
        },
      },
    })
    expect(await lag()).toEqual([])
  })
})
