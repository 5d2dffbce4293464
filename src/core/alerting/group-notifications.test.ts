import { describe, expect, it } from 'vitest'
import type { PendingNotification } from './alert-anomaly.ts'
import {
  addPending,
  createGroupingState,
  dropHeld,
  nextDueGroup,
  returnToGroup,
  takeFromGroup,
} from './group-notifications.ts'
import { anAnomaly, T0 } from './test-builders.ts'

const policy = { intervalMs: 5_000, maxPerMessage: 100 }
const firing = (fields: Parameters<typeof anAnomaly>[0] = {}): PendingNotification => ({
  kind: 'firing',
  anomaly: anAnomaly(fields),
})

describe('grouping', () => {
  it('holds a group until its interval has passed since its first arrival', () => {
    const state = createGroupingState()
    expect(nextDueGroup(state, T0, policy)).toEqual({ idle: true })
    addPending(state, [firing()], T0)
    addPending(state, [firing(), firing()], T0 + 3_000)
    expect(nextDueGroup(state, T0 + 4_999, policy)).toEqual({ wakeAtMs: T0 + 5_000 })
    const next = nextDueGroup(state, T0 + 5_000, policy)
    expect('due' in next && next.due.anomalies).toHaveLength(3)
  })

  it('groups per rule and per kind', () => {
    const state = createGroupingState()
    addPending(
      state,
      [
        firing({ rule: 'large_transaction' }),
        firing({ rule: 'high_cpu' }),
        firing({ rule: 'large_transaction' }),
        { kind: 'resolved', anomaly: anAnomaly({ rule: 'large_transaction', status: 'resolved' }) },
      ],
      T0,
    )
    expect([...state.groups.keys()].sort()).toEqual([
      'firing:high_cpu',
      'firing:large_transaction',
      'resolved:large_transaction',
    ])
    expect(state.groups.get('firing:large_transaction')!.anomalies).toHaveLength(2)
  })

  it('sends the longest-waiting due group first', () => {
    const state = createGroupingState()
    addPending(state, [firing({ rule: 'b' })], T0 + 1_000)
    addPending(state, [firing({ rule: 'a' })], T0)
    const next = nextDueGroup(state, T0 + 10_000, policy)
    expect('due' in next && next.due.rule).toBe('a')
  })

  it('makes a full group due at once', () => {
    const state = createGroupingState()
    addPending(
      state,
      Array.from({ length: 100 }, () => firing()),
      T0,
    )
    expect('due' in nextDueGroup(state, T0, policy)).toBe(true)
  })

  it('takes the earliest arrivals and keeps the rest due', () => {
    const state = createGroupingState()
    const pending = Array.from({ length: 5 }, () => firing())
    addPending(state, pending, T0)
    const taken = takeFromGroup(state, 'firing:large_transaction', 3)
    expect(taken.map((a) => a.id)).toEqual(pending.slice(0, 3).map((p) => p.anomaly.id))
    const next = nextDueGroup(state, T0 + 5_000, policy)
    expect('due' in next && next.due.anomalies.map((a) => a.id)).toEqual(
      pending.slice(3).map((p) => p.anomaly.id),
    )
    expect(state.held.size).toBe(2)
    takeFromGroup(state, 'firing:large_transaction', 10)
    expect(nextDueGroup(state, T0 + 5_000, policy)).toEqual({ idle: true })
  })

  it('holds an anomaly once: a second arrival replaces the first', () => {
    const state = createGroupingState()
    const first = firing({ value: 11_000 })
    addPending(state, [first], T0)
    addPending(state, [{ kind: 'firing', anomaly: { ...first.anomaly, value: 12_000 } }], T0 + 1_000)
    const group = state.groups.get('firing:large_transaction')!
    expect(group.anomalies.map((a) => a.value)).toEqual([12_000])
    expect(group.openedAtMs).toBe(T0)
  })

  it('puts a message that could not go back at the front, keeping its opening time', () => {
    const state = createGroupingState()
    const pending = Array.from({ length: 3 }, () => firing())
    addPending(state, pending, T0)
    const taken = takeFromGroup(state, 'firing:large_transaction', 2)
    addPending(state, [firing()], T0 + 4_000)
    returnToGroup(state, { kind: 'firing', rule: 'large_transaction', openedAtMs: T0 }, taken)
    const group = state.groups.get('firing:large_transaction')!
    expect(group.anomalies.slice(0, 2)).toEqual(taken)
    expect(group.anomalies).toHaveLength(4)
    expect(group.openedAtMs).toBe(T0)
  })

  it('drops anomalies whose claim was lost', () => {
    const state = createGroupingState()
    const pending = [firing(), firing({ rule: 'high_cpu' })]
    addPending(state, pending, T0)
    expect(dropHeld(state, [pending[1]!.anomaly.id, 'unknown'])).toBe(1)
    expect([...state.groups.keys()]).toEqual(['firing:large_transaction'])
    expect(state.held.size).toBe(1)
  })
})
