import { describe, expect, it } from 'vitest'
import { createProgressReporter, formatProgress } from './progress-reporter.ts'

describe('formatProgress', () => {
  it.each([
    [
      { done: 45_000, total: 100_000, elapsedMs: 1_400, ratePerSecond: 32_142.8 },
      true,
      '[###########.............]   45%  45,000/100,000 events  32,143 events/s  1.4s',
    ],
    [
      { done: 45_000, total: 100_000, elapsedMs: 1_400, ratePerSecond: 32_142.8 },
      false,
      ' 45%  45,000/100,000 events  32,143 events/s  1.4s',
    ],
    [
      { done: 1_234_567, total: undefined, elapsedMs: 61_000, ratePerSecond: 20_000 },
      true,
      '1,234,567 events  20,000 events/s  61.0s',
    ],
    [
      { done: 100, total: 100, elapsedMs: 10, ratePerSecond: 10_000, note: 'done' },
      true,
      '[########################]  100%  100/100 events  10,000 events/s  0.0s  done',
    ],
  ])('%j (bar: %s)', (snapshot, withBar, line) => {
    expect(formatProgress(snapshot, 'events', withBar)).toBe(line)
  })
})

describe('createProgressReporter', () => {
  const snapshot = (done: number) => ({ done, total: undefined, elapsedMs: 0, ratePerSecond: 0 })

  it('redraws one line on a terminal, at most every 200 ms, and ends it at the end', () => {
    const written: string[] = []
    let now = 0
    const reporter = createProgressReporter({
      write: (t) => written.push(t),
      isTTY: true,
      unit: 'events',
      nowMs: () => now,
    })
    reporter.update(snapshot(1))
    now = 100
    reporter.update(snapshot(2))
    now = 250
    reporter.update(snapshot(3))
    reporter.finish()
    expect(written).toEqual([
      '\r\u001b[2K1 events  0 events/s  0.0s',
      '\r\u001b[2K3 events  0 events/s  0.0s',
      '\n',
    ])
  })

  it('on a terminal, draws the final count at once and ends the line there', () => {
    const written: string[] = []
    const reporter = createProgressReporter({
      write: (t) => written.push(t),
      isTTY: true,
      unit: 'events',
      nowMs: () => 0,
    })
    reporter.update({ done: 5, total: 10, elapsedMs: 0, ratePerSecond: 0 })
    reporter.update({ done: 10, total: 10, elapsedMs: 0, ratePerSecond: 0 })
    reporter.finish()
    expect(written).toEqual([
      '\r\u001b[2K[############............]   50%  5/10 events  0 events/s  0.0s',
      '\r\u001b[2K[########################]  100%  10/10 events  0 events/s  0.0s\n',
    ])
  })

  it('writes a plain line every 5 s elsewhere, and nothing at the end', () => {
    const written: string[] = []
    let now = 0
    const reporter = createProgressReporter({
      write: (t) => written.push(t),
      isTTY: false,
      unit: 'events',
      nowMs: () => now,
    })
    for (; now <= 12_000; now += 1_000) reporter.update(snapshot(now))
    reporter.finish()
    expect(written).toEqual([
      '0 events  0 events/s  0.0s\n',
      '5,000 events  0 events/s  0.0s\n',
      '10,000 events  0 events/s  0.0s\n',
    ])
  })
})
