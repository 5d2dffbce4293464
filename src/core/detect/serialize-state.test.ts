import { describe, expect, it } from 'vitest'
import { anomalyId } from './anomaly.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import { detect } from './detect.ts'
import { createDetectorState } from './detector-state.ts'
import stateV1 from './fixtures/detector-state-v1.json' with { type: 'json' }
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

  it("keeps each key's clock, watermark, pending observations, window and open episode", () => {
    const serialized = serializeState(midStream())
    expect(serialized).toMatchObject({ v: 2, maxEventTsMs: T0 + sec(24), liveMs: 0 })
    const burst = serialized.rules.find((r) => r.name === 'error_burst')!
    const [key, auth] = burst.keys[0]!
    expect(key).toBe('auth-service')
    expect(auth).toMatchObject({ c: T0 + sec(24), m: sec(30), a: 0 })
    expect(auth.o).toHaveLength(25)
    expect(auth.o!.slice(0, 2)).toEqual([
      [T0, 'log-0', 0],
      [sec(1), 'log-1', 0],
    ])
    const cpu = serialized.rules.find((r) => r.name === 'high_cpu')!
    expect(cpu.keys).toEqual([['inventory-api', { c: T0, m: sec(30), a: 0, o: [[T0, 'm-1', 99]] }]])
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
      for (const [, key] of rule.keys) {
        // reverse the observations: decode the time differences, reverse, encode again
        let tsMs = 0
        const absolute = (key.o ?? [])
          .map(([delta, ...rest]) => {
            tsMs += delta
            return [tsMs, ...rest] as const
          })
          .reverse()
        key.o = absolute.map(([ts, ...rest], i) => [ts - (i === 0 ? 0 : absolute[i - 1]![0]), ...rest])
      }
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
        {
          c: T0 + sec(31),
          m: sec(30),
          a: 0,
          e: T0,
          ep: expect.objectContaining({ resolveAtMs: T0 + 300_000, countedThroughSeq: 0 }),
        },
      ],
    ])
  })

  it('reads a version 1 state (one watermark per partition): open episodes go on under their ids, pending observations are evaluated once', () => {
    const restored = restoreState(stateV1)
    if ('error' in restored) throw new Error(restored.error)
    const v1 = stateV1 as { watermarkMs: number }
    const errors = (service: string, fromMs: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        aLog({ service, level: 'ERROR', tsMs: fromMs + i * 100, eventId: `new-${service}-${i}` }),
      )
    // api's episode (opened at T0 + 20 s, last seen T0 + 24 s) extends; web's 3 pending errors + 18 fire
    const { anomalies, lateEvents } = run(
      [[...errors('api', T0 + sec(60), 5), ...errors('web', T0 + sec(41), 18)]],
      { rules: DEFAULT_RULES, state: restored.state, allowedLatenessMs: 1000 },
    )
    expect(lateEvents).toBe(0)
    expect(anomalies.map((a) => [a.id, a.key, a.firstSeenMs, a.eventCount])).toEqual([
      ['e1ac65a3-8d36-87bf-98a1-2fa9f52f3098', 'api', T0 + sec(20), 25 + 5],
      [anomalyId('error_burst', 'web', T0 + sec(41) + 1_700), 'web', T0 + sec(41) + 1_700, 21],
    ])
    expect(v1.watermarkMs).toBe(T0 + sec(39.2))
  })

  it.each<[string, unknown, string]>([
    ['nothing', null, 'detector state: (root): Invalid input: expected object, received null'],
    [
      'another version',
      { ...serializeState(createDetectorState()), v: 3 },
      'detector state: v: Invalid input: expected 2',
    ],
    [
      'a broken observation',
      {
        ...serializeState(createDetectorState()),
        rules: [{ name: 'r', signature: 's', keys: [['k', { c: 1, m: 0, a: 0, o: [[1, 'id']] }]] }],
      },
      'detector state: rules.0.keys.0.1.o.0: Too small: expected array to have >=3 items',
    ],
    [
      'a key without its clock',
      { ...serializeState(createDetectorState()), rules: [{ name: 'r', signature: 's', keys: [['k', {}]] }] },
      'detector state: rule r, key k: no clock',
    ],
    [
      'a window with runs missing',
      {
        ...serializeState(createDetectorState()),
        rules: [{ name: 'r', signature: 's', keys: [['k', { c: 1, m: 0, a: 0, w: [1, 2], r: [1] }]] }],
      },
      'detector state: rule r, key k: window times and runs differ in length',
    ],
  ])('reports %s as a value', (_, json, error) => {
    expect(restoreState(json)).toEqual({ error })
  })
})
