import { describe, expect, it } from 'vitest'
import { UsageError } from '../command.ts'
import { apiBanner, parseStartArgs } from './start.ts'

describe('parseStartArgs', () => {
  it('mixes a small share of malformed messages into the mock data by default', () => {
    expect(parseStartArgs([])).toEqual({ produce: true, rate: 50, anomalies: 0.01, malformed: 0.01 })
  })
  it.each([
    [['--malformed', '0'], { malformed: 0 }],
    [['--malformed', '0.2', '--rate', '10'], { malformed: 0.2, rate: 10 }],
    [['--no-produce'], { produce: false }],
  ])('%j', (argv, expected) => {
    expect(parseStartArgs(argv)).toMatchObject(expected)
  })
  it.each([
    [['--malformed', '2'], '--malformed: expected a ratio 0..1, got 2'],
    [['--malformed', 'some'], '--malformed: expected a ratio 0..1, got some'],
    [['--rate', '0'], '--rate: expected events per second > 0, got 0'],
  ])('%j is refused', (argv, message) => {
    expect(() => parseStartArgs(argv)).toThrow(new UsageError(message))
  })
})

describe('apiBanner', () => {
  const url = 'http://127.0.0.1:8080'
  it('names the dashboard where one is served', () => {
    expect(apiBanner(url, { served: true })).toBe(`dashboard and API: ${url}  (API docs: ${url}/docs)\n`)
  })
  it('says there is no dashboard, and why, where none is', () => {
    const note = 'the dashboard is not built: `npm ci && npm run build` builds it'
    expect(apiBanner(url, { served: false, note })).toBe(
      `API: ${url}  (API docs: ${url}/docs); no dashboard at /\n  (${note})\n`,
    )
  })
})
