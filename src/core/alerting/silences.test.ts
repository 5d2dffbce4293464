import { describe, expect, it } from 'vitest'
import { findSilence, type Silence } from './silences.ts'
import { T0 } from './test-builders.ts'

const silence = (fields: Partial<Silence>): Silence => ({
  id: 's1',
  rule: null,
  key: null,
  expiresAtMs: T0 + 60_000,
  comment: 'maintenance',
  createdBy: 'ops',
  ...fields,
})

describe('findSilence', () => {
  it.each<[string, Partial<Silence>, { rule: string; key: string }, number, boolean]>([
    ['rule and key match', { rule: 'high_cpu', key: 'svc-a' }, { rule: 'high_cpu', key: 'svc-a' }, T0, true],
    ['another key', { rule: 'high_cpu', key: 'svc-a' }, { rule: 'high_cpu', key: 'svc-b' }, T0, false],
    ['rule only: any key', { rule: 'high_cpu' }, { rule: 'high_cpu', key: 'svc-b' }, T0, true],
    ['rule only: another rule', { rule: 'high_cpu' }, { rule: 'high_latency', key: 'svc-b' }, T0, false],
    ['key only: any rule', { key: 'svc-a' }, { rule: 'high_latency', key: 'svc-a' }, T0, true],
    ['neither: everything', {}, { rule: 'x', key: 'y' }, T0, true],
    ['expired', { rule: 'high_cpu' }, { rule: 'high_cpu', key: 'svc-a' }, T0 + 60_000, false],
    ['a key differing in case', { key: 'svc-a' }, { rule: 'x', key: 'SVC-A' }, T0, false],
  ])('%s', (_, fields, anomaly, nowMs, mutes) => {
    expect(findSilence([silence(fields)], anomaly, nowMs) !== undefined).toBe(mutes)
  })

  it('names the first silence that mutes', () => {
    const found = findSilence(
      [silence({ id: 'a', rule: 'other' }), silence({ id: 'b', key: 'svc-a' }), silence({ id: 'c' })],
      { rule: 'high_cpu', key: 'svc-a' },
      T0,
    )
    expect(found?.id).toBe('b')
  })
})
