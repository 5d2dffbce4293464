import { describe, expect, it } from 'vitest'
import { DEFAULT_RULES } from './default-rules.ts'
import { detect } from './detect.ts'
import { createDetectorState } from './detector-state.ts'
import { restoreState, serializeState } from './serialize-state.ts'
import { aLog, aMetric, aTransaction, run, sec, T0 } from './test-builders.ts'

const midStream = () => {
  const state = createDetectorState()
  const errors = Array.from({ length: 25 }, (_, i) =>
    aLog({ level: 'ERROR', tsMs: T0 + sec(i), eventId: `log-${i}` }),
  )
  detect(
    state,
    [
      ...errors,
      aMetric({ tsMs: T0, cpu: 99, eventId: 'm-1' }),
      aTransaction({ tsMs: T0 + sec(10), amount: 50_000, transactionId: 't-1', eventId: 'tx-1' }),
    ],
    DEFAULT_RULES,
  )
  return state
}

describe('serializeState / restoreState', () => {
  it('survives JSON and restores a state that serialises the same', () => {
    const json = JSON.parse(JSON.stringify(serializeState(midStream())))
    const restored = restoreState(json)
    if ('error' in restored) throw new Error(restored.error)
    expect(serializeState(restored.state)).toEqual(json)
  })

  it('keeps windows, pending observations, open episodes and the watermark', () => {
    const serialized = serializeState(midStream())
    expect(serialized).toMatchObject({ v: 1, maxEventTsMs: T0 + sec(24), watermarkMs: T0 - sec(6) })
    const burst = serialized.rules.find((r) => r.name === 'error_burst')!
    expect(burst.pending).toHaveLength(25)
    expect(burst.pending.slice(0, 2)).toEqual([
      [T0, 'log-0', 'auth-service', 0],
      [sec(1), 'log-1', 'auth-service', 0],
    ])
    const cpu = serialized.rules.find((r) => r.name === 'high_cpu')!
    expect(cpu.pending).toEqual([[T0, 'm-1', 'inventory-api', 99]])
  })

  it('continues after a restore as if uninterrupted', () => {
    const restored = restoreState(JSON.parse(JSON.stringify(serializeState(midStream()))))
    if ('error' in restored) throw new Error(restored.error)
    const calm = [aMetric({ tsMs: T0 + sec(60) })]
    const a = run([calm], { rules: DEFAULT_RULES, state: midStream() })
    const b = run([calm], { rules: DEFAULT_RULES, state: restored.state })
    expect(b.anomalies).toEqual(a.anomalies)
    expect(a.anomalies.map((x) => [x.rule, x.eventCount])).toEqual([
      ['high_cpu', 1],
      ['large_transaction', 1],
      ['error_burst', 25],
    ])
  })

  it('restores pending observations written in any order', () => {
    const state = createDetectorState()
    detect(
      state,
      [90, 95, 99].map((cpu, i) => aMetric({ tsMs: T0 + sec(i), cpu })),
      DEFAULT_RULES,
    )
    const json = serializeState(state)
    for (const rule of json.rules) {
      // reverse the observations: decode the time differences, reverse, encode again
      let tsMs = 0
      const absolute = rule.pending
        .map(([delta, ...rest]) => {
          tsMs += delta
          return [tsMs, ...rest] as const
        })
        .reverse()
      rule.pending = absolute.map(([ts, ...rest], i) => [ts - (i === 0 ? 0 : absolute[i - 1]![0]), ...rest])
    }
    const restored = restoreState(JSON.parse(JSON.stringify(json)))
    if ('error' in restored) throw new Error(restored.error)
    const { anomalies } = run([[aMetric({ tsMs: T0 + sec(40) })]], {
      rules: DEFAULT_RULES,
      state: restored.state,
    })
    expect(anomalies).toEqual([
      expect.objectContaining({ firstSeenMs: T0, lastSeenMs: T0 + sec(2), eventCount: 3 }),
    ])
  })

  it('writes only what a key holds', () => {
    const state = createDetectorState()
    detect(state, [aMetric({ tsMs: T0, cpu: 99 }), aMetric({ tsMs: T0 + sec(31) })], DEFAULT_RULES)
    const cpu = serializeState(state).rules.find((r) => r.name === 'high_cpu')!
    expect(cpu.keys).toEqual([
      [
        'inventory-api',
        { e: T0, ep: expect.objectContaining({ resolveAtMs: T0 + 300_000, countedThroughSeq: 0 }) },
      ],
    ])
  })

  it.each<[string, unknown, string]>([
    ['nothing', null, 'detector state: (root): Invalid input: expected object, received null'],
    [
      'another version',
      { ...serializeState(createDetectorState()), v: 2 },
      'detector state: v: Invalid input: expected 1',
    ],
    [
      'a broken observation',
      {
        ...serializeState(createDetectorState()),
        rules: [{ name: 'r', signature: 's', pending: [[1, 'id']], keys: [] }],
      },
      'detector state: rules.0.pending.0: Too small: expected array to have >=4 items',
    ],
    [
      'a window with runs missing',
      {
        ...serializeState(createDetectorState()),
        rules: [{ name: 'r', signature: 's', pending: [], keys: [['k', { w: [1, 2], r: [1] }]] }],
      },
      'detector state: rule r, key k: window times and runs differ in length',
    ],
  ])('reports %s as a value', (_, json, error) => {
    expect(restoreState(json)).toEqual({ error })
  })
})
