// Grouping, after Alertmanager's aggregation groups: pending notifications gather per kind and
// rule; a group opens with its first arrival and is due `intervalMs` later (or at once when it
// holds a full message). The sender takes a due group's anomalies when it has a send slot, so
// while Slack's rate limit holds messages back, later arrivals join the waiting groups instead of
// queueing messages of their own. The state is updated in place; time is passed in.
import type { AlertAnomaly, NotificationKind, PendingNotification } from './alert-anomaly.ts'

export interface NotificationGroup {
  /** `${kind}:${rule}` */
  key: string
  kind: NotificationKind
  rule: string
  /** when the first anomaly still in the group arrived */
  openedAtMs: number
  /** in arrival order */
  anomalies: AlertAnomaly[]
}

export interface GroupingState {
  groups: Map<string, NotificationGroup>
  /** anomaly ids held, with the group they are in */
  held: Map<string, string>
}

export interface GroupingPolicy {
  intervalMs: number
  /** a group holding this many is due at once: waiting cannot make its message fuller */
  maxPerMessage: number
}

export type NextGroup =
  | { due: NotificationGroup }
  | { wakeAtMs: number }
  /** nothing is held */
  | { idle: true }

export function createGroupingState(): GroupingState {
  return { groups: new Map(), held: new Map() }
}

/** Adds what arrived at `nowMs`. An anomaly already held is updated in place (its latest row wins). */
export function addPending(
  state: GroupingState,
  pending: readonly PendingNotification[],
  nowMs: number,
): void {
  for (const { kind, anomaly } of pending) {
    const key = `${kind}:${anomaly.rule}`
    const heldIn = state.held.get(anomaly.id)
    if (heldIn !== undefined) {
      const group = state.groups.get(heldIn)!
      const index = group.anomalies.findIndex((a) => a.id === anomaly.id)
      if (heldIn === key) {
        group.anomalies[index] = anomaly
        continue
      }
      removeFromGroup(state, group, index)
    }
    let group = state.groups.get(key)
    if (!group) {
      group = { key, kind, rule: anomaly.rule, openedAtMs: nowMs, anomalies: [] }
      state.groups.set(key, group)
    }
    group.anomalies.push(anomaly)
    state.held.set(anomaly.id, key)
  }
}

/** The group to send next (the longest-waiting of the due ones), or when to look again. */
export function nextDueGroup(state: GroupingState, nowMs: number, policy: GroupingPolicy): NextGroup {
  let due: NotificationGroup | undefined
  let wakeAtMs = Number.POSITIVE_INFINITY
  for (const group of state.groups.values()) {
    const dueAtMs =
      group.anomalies.length >= policy.maxPerMessage ? group.openedAtMs : group.openedAtMs + policy.intervalMs
    if (dueAtMs <= nowMs) {
      if (!due || group.openedAtMs < due.openedAtMs) due = group
    } else {
      wakeAtMs = Math.min(wakeAtMs, dueAtMs)
    }
  }
  if (due) return { due }
  return Number.isFinite(wakeAtMs) ? { wakeAtMs } : { idle: true }
}

/**
 * Takes up to `count` anomalies (the earliest arrivals) out of a group. What stays keeps the
 * group's opening time, so it is still due.
 */
export function takeFromGroup(state: GroupingState, key: string, count: number): AlertAnomaly[] {
  const group = state.groups.get(key)
  if (!group) return []
  const taken = group.anomalies.splice(0, Math.max(0, count))
  for (const a of taken) state.held.delete(a.id)
  if (group.anomalies.length === 0) state.groups.delete(key)
  return taken
}

/** Puts anomalies back at the front of their group (a message that could not be sent as built). */
export function returnToGroup(
  state: GroupingState,
  group: { kind: NotificationKind; rule: string; openedAtMs: number },
  anomalies: readonly AlertAnomaly[],
): void {
  const key = `${group.kind}:${group.rule}`
  const fresh = anomalies.filter((a) => !state.held.has(a.id))
  if (fresh.length === 0) return
  const existing = state.groups.get(key)
  if (existing) {
    existing.anomalies.unshift(...fresh)
    existing.openedAtMs = Math.min(existing.openedAtMs, group.openedAtMs)
  } else {
    state.groups.set(key, {
      key,
      kind: group.kind,
      rule: group.rule,
      openedAtMs: group.openedAtMs,
      anomalies: [...fresh],
    })
  }
  for (const a of fresh) state.held.set(a.id, key)
}

/** Drops anomalies that are no longer ours (their claim was lost). Returns how many were dropped. */
export function dropHeld(state: GroupingState, ids: Iterable<string>): number {
  let dropped = 0
  for (const id of ids) {
    const key = state.held.get(id)
    if (key === undefined) continue
    const group = state.groups.get(key)!
    removeFromGroup(
      state,
      group,
      group.anomalies.findIndex((a) => a.id === id),
    )
    dropped += 1
  }
  return dropped
}

function removeFromGroup(state: GroupingState, group: NotificationGroup, index: number): void {
  const [removed] = group.anomalies.splice(index, 1)
  if (removed) state.held.delete(removed.id)
  if (group.anomalies.length === 0) state.groups.delete(group.key)
}
