import { describe, expect, it } from 'vitest'
import { describeConfig, loadConfig } from './load.ts'

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({})
    expect(config.KAFKA_BROKERS).toBeUndefined()
    expect(config.API_PORT).toBe(8080)
    expect(config.API_HOST).toBe('127.0.0.1')
    expect(config.TOPIC_PREFIX).toBe('')
    expect(config.DATA_DIR).toBe('./data')
    expect(config.lakeUrl).toMatch(/^file:\/\/\/.*\/data\/lake$/)
    expect(config.publicUrl).toBe('http://127.0.0.1:8080')
    expect(config.MAX_FUTURE_SKEW).toBe(300_000)
    expect(config.MAX_EVENT_AGE).toBe(7 * 86_400_000)
  })

  it('reads lists, durations and booleans', () => {
    const config = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092, kafka-2:9093',
      MAX_FUTURE_SKEW: '30s',
      S3_FORCE_PATH_STYLE: 'true',
      PUBLIC_URL: 'https://sw.example.com/',
    })
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'kafka-2:9093'])
    expect(config.MAX_FUTURE_SKEW).toBe(30_000)
    expect(config.S3_FORCE_PATH_STYLE).toBe(true)
    expect(config.publicUrl).toBe('https://sw.example.com')
  })

  it.each([
    [{ API_PORT: 'abc' }, 'config: API_PORT="abc": expected a port number 1..65535'],
    [{ API_PORT: '70000' }, 'config: API_PORT="70000": expected a port number 1..65535'],
    [{ KAFKA_BROKERS: 'localhost' }, 'config: KAFKA_BROKERS="localhost": expected host:port[,host:port...]'],
    [
      { DATABASE_URL: 'mysql://x' },
      'config: DATABASE_URL="mysql://x": expected postgres://user@host:port/database',
    ],
    [{ LAKE_URL: 'ftp://x' }, 'config: LAKE_URL="ftp://x": expected s3://bucket/prefix or file://path'],
    [
      { MAX_EVENT_AGE: 'soon' },
      'config: MAX_EVENT_AGE="soon": expected a duration such as 500ms, 30s, 5m, 2h or 7d',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'config: LOG_LEVEL="loud": expected one of trace, debug, info, warn, error, fatal, silent',
    ],
    [
      { KAFKA_PARTITIONS: '0' },
      'config: KAFKA_PARTITIONS="0": expected a whole number of partitions, 1 or more',
    ],
    [{ TOPIC_PREFIX: 'a b' }, 'config: TOPIC_PREFIX="a b": expected letters, digits, ".", "_" or "-"'],
    [
      { SLACK_WEBHOOK_URL: 'hooks.slack.com' },
      'config: SLACK_WEBHOOK_URL="hooks.slack.com": expected a URL like https://hooks.slack.com/services/...',
    ],
  ])('rejects %j with one line naming the setting', (env, line) => {
    expect(() => loadConfig(env)).toThrow(line)
    try {
      loadConfig(env)
    } catch (error) {
      expect((error as Error).message).toBe(line)
    }
  })

  it('lists every problem, not just the first', () => {
    expect(() => loadConfig({ API_PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/API_PORT.*\n.*LOG_LEVEL/s)
  })

  it('masks secrets when describing', () => {
    const described = describeConfig(
      loadConfig({ API_TOKEN: 's3cret', DATABASE_URL: 'postgres://app:pw@db:5432/sw' }),
    )
    expect(described['API_TOKEN']).toBe('********')
    expect(described['DATABASE_URL']).toBe('postgres://app:********@db:5432/sw')
    expect(JSON.stringify(described)).not.toContain('s3cret')
  })
})
