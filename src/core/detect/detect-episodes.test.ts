// Episodes: one anomaly per stretch of a rule holding for a key; `for` and hysteresis.
import { describe, expect, it } from 'vitest'
import type { MetricEvent } from '../../contracts/events.ts'
import { DEFAULT_RULES } from './default-rules.ts'
import type { Rule, ThresholdRule } from './rule.ts'
import { aLog, aMetric, min, run, sec, T0 } from './test-builders.ts'

const cpuAt = (...readings: Array<[atMs: number, cpu: number]>): MetricEvent[] =>
  readings.map(([atMs, cpu]) => aMetric({ tsMs: T0 + atMs, cpu }))

const highCpu = (options: Partial<ThresholdRule> = {}): Rule[] => [
  {
    kind: 'threshold',
    name: 'high_cpu',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
    keyBy: 'service',
    severity: 'warning',
    ...options,
  },
]

describe('episodes', () => {
  it('makes one anomaly of five high readings in a row, with their count and peak', () => {
    const events = cpuAt([0, 90], [sec(10), 97.5], [sec(20), 88], [sec(30), 91], [sec(40), 86])
    const { anomalies } = run([events], { rules: DEFAULT_RULES })
    expect(anomalies).toEqual([
      expect.objectContaining({
        rule: 'high_cpu',
        status: 'open',
        firstSeenMs: T0,
        lastSeenMs: T0 + sec(40),
        eventCount: 5,
        value: 97.5,
      }),
    ])
  })

  it.each([
    ['2 min apart: one episode', min(2), 1],
    ['4 min 59.999 s apart: one episode', min(5) - 1, 1],
    ['exactly the quiet period apart: two episodes', min(5), 2],
    ['more than the quiet period apart: two episodes', min(6), 2],
  ])('spike, spike %s', (_, gapMs, expected) => {
    const { anomalies } = run([cpuAt([0, 95], [gapMs, 95])], { rules: DEFAULT_RULES })
    expect(anomalies).toHaveLength(expected)
    if (expected === 2) {
      expect(anomalies[0]).toMatchObject({ status: 'resolved', resolvedAtMs: T0 + min(5), eventCount: 1 })
      expect(anomalies[1]).toMatchObject({ status: 'open', firstSeenMs: T0 + gapMs })
    }
  })

  it('resolves when the watermark passes the end of the quiet period, in the batch where it does', () => {
    const spike = cpuAt([0, 95])
    const calm = (fromMs: number, toMs: number) =>
      cpuAt(
        ...Array.from({ length: (toMs - fromMs) / sec(10) + 1 }, (_, i): [number, number] => [
          fromMs + i * sec(10),
          40,
        ]),
      )
    // watermark = newest event time - 30 s: reaches T0 + 5 min with the reading at T0 + 5 min 30 s.
    const { changes } = run(
      [spike, calm(sec(10), min(5) + sec(20)), calm(min(5) + sec(30), min(5) + sec(30))],
      {
        rules: DEFAULT_RULES,
      },
    )
    expect(changes.map((batch) => batch.map((c) => [c.type, c.anomaly.status]))).toEqual([
      [],
      [['opened', 'open']],
      [['resolved', 'resolved']],
      [],
    ])
    expect(changes[2]![0]!.anomaly).toMatchObject({ resolvedAtMs: T0 + min(5), lastSeenMs: T0 })
  })

  it('counts an error burst episode once per event, across windows that keep firing', () => {
    const burst = (startMs: number) =>
      Array.from({ length: 25 }, (_, i) => aLog({ level: 'ERROR', tsMs: T0 + startMs + sec(i) }))
    const { anomalies } = run([[...burst(0), ...burst(min(2))]], { rules: DEFAULT_RULES })
    // Each burst fires from its 21st error; the 20 before it were counted in that window.
    expect(anomalies).toEqual([
      expect.objectContaining({
        rule: 'error_burst',
        firstSeenMs: T0 + sec(20),
        lastSeenMs: T0 + min(2) + sec(24),
        eventCount: 50,
        value: 25,
      }),
    ])
  })

  it('keeps the lowest value as the peak of a < rule', () => {
    const rules = highCpu({ comparator: '<', value: 10 })
    const { anomalies } = run([cpuAt([0, 9], [sec(10), 2], [sec(20), 5])], { rules })
    expect(anomalies).toEqual([
      expect.objectContaining({ value: 2, eventCount: 3, comparator: '<', threshold: 10 }),
    ])
  })

  it('applies a per-rule quiet period', () => {
    const rules = highCpu({ quietPeriodMs: min(1) })
    const { anomalies } = run([cpuAt([0, 95], [sec(59), 95], [sec(59) + min(1), 95])], { rules })
    expect(anomalies.map((a) => [a.firstSeenMs - T0, a.lastSeenMs - T0, a.resolvedAtMs])).toEqual([
      [0, sec(59), T0 + sec(59) + min(1)],
      [sec(59) + min(1), sec(59) + min(1), undefined],
    ])
  })
})

describe('for: the condition must hold at consecutive readings for this long', () => {
  const rules = highCpu({ forMs: sec(30) })
  it.each<[string, Array<[number, number]>, Array<[firstSeenMs: number, eventCount: number]>]>([
    [
      'high for 20 s: nothing',
      [
        [0, 90],
        [sec(10), 90],
        [sec(20), 90],
      ],
      [],
    ],
    [
      'high for 30 s: opens at the reading that completes it',
      [
        [0, 90],
        [sec(10), 95],
        [sec(20), 90],
        [sec(30), 90],
      ],
      [[sec(30), 4]],
    ],
    [
      'a low reading restarts the streak',
      [
        [0, 90],
        [sec(10), 90],
        [sec(20), 80],
        [sec(30), 90],
        [sec(50), 90],
        [sec(60), 90],
      ],
      [[sec(60), 3]],
    ],
    [
      'two readings 4 min apart are consecutive',
      [
        [0, 90],
        [min(4), 90],
      ],
      [[min(4), 2]],
    ],
    [
      'no reading for the quiet period ends the streak',
      [
        [0, 90],
        [min(5), 90],
        [min(5) + sec(10), 90],
      ],
      [],
    ],
  ])('%s', (_, readings, expected) => {
    const { anomalies } = run([cpuAt(...readings)], { rules })
    expect(anomalies.map((a) => [a.firstSeenMs - T0, a.eventCount])).toEqual(expected)
  })

  it('takes the peak over the streak that opened the episode', () => {
    const { anomalies } = run([cpuAt([0, 99], [sec(15), 90], [sec(30), 88])], { rules })
    expect(anomalies).toEqual([expect.objectContaining({ value: 99, eventCount: 3 })])
  })

  it('extends an open episode only once a new streak lasts long enough', () => {
    const readings = cpuAt([0, 90], [sec(30), 90], [sec(40), 50], [sec(50), 90], [sec(60), 90], [sec(90), 90])
    const { anomalies } = run([readings], { rules })
    expect(anomalies).toEqual([
      expect.objectContaining({ firstSeenMs: T0 + sec(30), lastSeenMs: T0 + sec(90), eventCount: 5 }),
    ])
  })
})

describe('recovery: once open, the condition holds until the value crosses back past it', () => {
  it.each<[string, Rule[], Array<[number, number]>, Array<[eventCount: number, lastSeenMs: number]>]>([
    [
      '90, 80, 75, 90 with recovery 70: all hold',
      highCpu({ recovery: 70 }),
      [
        [0, 90],
        [sec(10), 80],
        [sec(20), 75],
        [sec(30), 90],
      ],
      [[4, sec(30)]],
    ],
    [
      '90, 80, 90 without recovery: the 80 does not',
      highCpu(),
      [
        [0, 90],
        [sec(10), 80],
        [sec(20), 90],
      ],
      [[2, sec(20)]],
    ],
    [
      '90, 65, 80: after crossing back, 80 needs the threshold again',
      highCpu({ recovery: 70 }),
      [
        [0, 90],
        [sec(10), 65],
        [sec(20), 80],
      ],
      [[1, 0]],
    ],
    [
      '90, 65, 86: a new crossing within the quiet period extends it',
      highCpu({ recovery: 70 }),
      [
        [0, 90],
        [sec(10), 65],
        [sec(20), 86],
      ],
      [[2, sec(20)]],
    ],
    [
      '90, then 80 after the quiet period: a fresh comparison with the threshold',
      highCpu({ recovery: 70 }),
      [
        [0, 90],
        [min(5), 80],
      ],
      [[1, 0]],
    ],
    [
      'recovery equal to the value: plain threshold',
      highCpu({ recovery: 85 }),
      [
        [0, 90],
        [sec(10), 85],
        [sec(20), 90],
      ],
      [[2, sec(20)]],
    ],
  ])('%s', (_, rules, readings, expected) => {
    const { anomalies } = run([cpuAt(...readings)], { rules })
    expect(anomalies.map((a) => [a.eventCount, a.lastSeenMs - T0])).toEqual(expected)
  })

  it('combines with for: the streak must last before the latch applies', () => {
    const rules = highCpu({ forMs: sec(20), recovery: 70 })
    const { anomalies } = run(
      [
        cpuAt(
          [0, 90],
          [sec(10), 80],
          [sec(20), 90],
          [sec(30), 90],
          [sec(40), 90],
          [sec(50), 75],
          [sec(60), 72],
        ),
      ],
      { rules },
    )
    expect(anomalies).toEqual([
      expect.objectContaining({ firstSeenMs: T0 + sec(40), lastSeenMs: T0 + sec(60), eventCount: 5 }),
    ])
  })

  it('holds a count rule open while the window count stays above its recovery value', () => {
    const rules: Rule[] = [
      {
        kind: 'count',
        name: 'errors',
        topic: 'logs',
        filter: [{ field: 'level', op: 'in', values: ['ERROR'] }],
        keyBy: 'service',
        windowMs: sec(10),
        threshold: 3,
        recovery: 1,
        severity: 'critical',
      },
    ]
    // window counts: 1 2 3 4 (fires) 5 3 (holds: > 1, not > 3) 1 (ends the latch) 2 (not > 3)
    const at = [0, 1, 2, 3, 8, 12, 22, 23].map((s) => aLog({ level: 'ERROR', tsMs: T0 + sec(s) }))
    const { anomalies } = run([at], { rules })
    expect(anomalies).toEqual([
      expect.objectContaining({
        firstSeenMs: T0 + sec(3),
        lastSeenMs: T0 + sec(12),
        value: 5,
        eventCount: 6,
      }),
    ])
  })
})
