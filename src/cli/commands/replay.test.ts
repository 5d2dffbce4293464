import { describe, expect, it } from 'vitest'
import { createTopicNames } from '../../contracts/topics.ts'
import { UsageError } from '../command.ts'
import { parseReplayArgs } from './replay.ts'

const names = createTopicNames('staging.')

describe('parseReplayArgs', () => {
  it.each([
    [[], { from: undefined, topics: undefined, sinceMs: undefined, untilMs: undefined, toTopic: undefined }],
    [['--from', 's3://bucket/lake'], { from: 's3://bucket/lake' }],
    [['--topic', 'logs'], { topics: ['staging.logs'] }],
    [
      ['--topic', 'logs,dead-letters', '--topic', 'other.topic'],
      { topics: ['staging.logs', 'staging.dead-letters', 'other.topic'] },
    ],
    [['--to-topic', 'replayed'], { toTopic: 'replayed' }],
    [['--to-topic', 'transactions'], { toTopic: 'staging.transactions' }],
    [
      ['--since', '2025-01-31T10:00:00Z', '--until', '2025-01-31T11:00:00.5Z'],
      { sinceMs: Date.UTC(2025, 0, 31, 10), untilMs: Date.UTC(2025, 0, 31, 11, 0, 0, 500) },
    ],
  ])('reads %j', (argv, expected) => {
    expect(parseReplayArgs(argv, names)).toMatchObject(expected)
  })

  it.each([
    [['--from', 'http://x'], '--from: expected s3://bucket/prefix or file://path'],
    [['--topic', 'bad topic'], '--topic: "bad topic" is not a topic name'],
    [['--since', 'yesterday'], '--since: expected an ISO 8601 time'],
    [
      ['--since', '2025-01-31T11:00:00Z', '--until', '2025-01-31T10:00:00Z'],
      '--until: must be after --since',
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseReplayArgs(argv, names)).toThrow(UsageError)
    expect(() => parseReplayArgs(argv, names)).toThrow(message)
  })
})
