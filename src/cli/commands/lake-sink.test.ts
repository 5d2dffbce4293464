import { describe, expect, it } from 'vitest'
import type { Config } from '../../config/load.ts'
import { LAKE_SINK_DEFAULTS } from '../../pipelines/lake.ts'
import { UsageError } from '../command.ts'
import { openLakeStore } from '../platform.ts'
import { parseLakeSinkArgs } from './lake-sink.ts'

describe('parseLakeSinkArgs', () => {
  it('defaults to 64 MiB or 100,000 records per object, flushed 10 s after the first record', () => {
    expect(parseLakeSinkArgs([])).toEqual(LAKE_SINK_DEFAULTS)
    expect(LAKE_SINK_DEFAULTS).toMatchObject({
      maxObjectBytes: 64 * 1024 * 1024,
      maxObjectRecords: 100_000,
      maxBufferAgeMs: 10_000,
    })
  })

  it.each([
    [['--max-object-bytes', '16MiB'], { maxObjectBytes: 16 * 1024 * 1024 }],
    [['--max-object-bytes', '1000000'], { maxObjectBytes: 1_000_000 }],
    [['--max-object-records', '5000'], { maxObjectRecords: 5_000 }],
    [['--flush-after', '500ms'], { maxBufferAgeMs: 500 }],
    [['--max-buffered-bytes', '1GiB'], { maxBufferedBytes: 1024 ** 3 }],
    [['--max-buffered-bytes', '1MiB'], { maxBufferedBytes: 64 * 1024 * 1024 }],
    [['--gzip-level', '9'], { gzipLevel: 9 }],
    [['--shutdown-timeout', '2m'], { shutdownTimeoutMs: 120_000 }],
  ])('reads %j', (argv, expected) => {
    expect(parseLakeSinkArgs(argv)).toMatchObject(expected)
  })

  it.each([
    [
      ['--max-object-bytes', 'lots'],
      '--max-object-bytes: expected a size such as 64MiB or 1000000, got "lots"',
    ],
    [['--max-object-records', '0'], '--max-object-records: expected a whole number >= 1, got "0"'],
    [['--flush-after', 'soon'], '--flush-after: expected a duration such as 10s, got "soon"'],
    [['--gzip-level', '0'], '--gzip-level: expected 1..9, got "0"'],
    [['--nope'], "Unknown option '--nope'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLakeSinkArgs(argv)).toThrow(UsageError)
    expect(() => parseLakeSinkArgs(argv)).toThrow(message)
  })
})

describe('openLakeStore', () => {
  const config = { S3_FORCE_PATH_STYLE: true, AWS_REGION: 'us-east-1' } as Config
  it.each([
    ['file:///var/lib/lake', 'file:///var/lib/lake'],
    ['file://data/lake', `file://${process.cwd()}/data/lake`],
    ['file:///tmp/with%20space', 'file:///tmp/with%20space'],
    ['s3://bucket/lake', 's3://bucket/lake/'],
    ['s3://bucket', 's3://bucket/'],
  ])('opens %s as %s', async (url, expected) => {
    const store = openLakeStore(config, url)
    expect(store.url).toBe(expected)
    await store.close()
  })
})
