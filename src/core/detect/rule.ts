// A Rule is a condition over the events of one topic, evaluated per key in event time. Rules are a
// discriminated union on `kind`: every `switch (rule.kind)` is exhaustive, so a new kind does not
// compile until each place handles it. Durations are milliseconds; the rules file spells them
// `60s`, `5m` (see parse-rules.ts and rules.example.yaml).
import type { EventTopic } from '../../contracts/topics.ts'
import type { RuleField } from './rule-fields.ts'

export const SEVERITIES = ['info', 'warning', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export const COMPARATORS = ['>', '>=', '<', '<='] as const
export type Comparator = (typeof COMPARATORS)[number]
/** Count rules fire on too many events, never on too few. */
export const COUNT_COMPARATORS = ['>', '>='] as const
export type CountComparator = (typeof COUNT_COMPARATORS)[number]

/** One condition on a field of an event; a rule's `filter` is their conjunction. */
export type FieldCondition =
  | { field: RuleField; op: 'equals'; value: string | number }
  | { field: RuleField; op: 'in'; values: ReadonlyArray<string | number> }
  | { field: RuleField; op: Comparator; value: number }

/** Quiet period used when a rule sets none: event time without the condition before an episode resolves. */
export const DEFAULT_QUIET_PERIOD_MS = 5 * 60_000

interface RuleBase {
  /** unique among the rules; part of every anomaly id */
  name: string
  topic: EventTopic
  /** every condition must hold for an event to be seen by the rule; absent or empty: every event */
  filter?: readonly FieldCondition[]
  /**
   * What an anomaly is about (a service, a user, a transaction). Only fields that the topic's
   * message key determines (see KEY_FIELDS), so that all events of one key share a partition.
   */
  keyBy: RuleField
  severity: Severity
  /** event time without the condition after which an episode resolves; default DEFAULT_QUIET_PERIOD_MS, at least 1 */
  quietPeriodMs?: number
}

/** Fires when more than `threshold` matching events of a key have event time in (t - windowMs, t]. */
export interface CountRule extends RuleBase {
  kind: 'count'
  windowMs: number
  threshold: number
  /** default '>' */
  comparator?: CountComparator
  /** the condition must hold at consecutive evaluations spanning this long before it fires; default 0 */
  forMs?: number
  /** hysteresis: once firing, the condition holds while the count still compares to this value */
  recovery?: number
}

/** Fires when a numeric field of the key's events compares to `value`. */
export interface ThresholdRule extends RuleBase {
  kind: 'threshold'
  field: RuleField
  comparator: Comparator
  value: number
  forMs?: number
  recovery?: number
}

/** Per-event predicate: each matching event fires on its own (keyed e.g. by transaction_id). */
export interface EventRule extends RuleBase {
  kind: 'event'
  field: RuleField
  comparator: Comparator
  value: number
}

export type Rule = CountRule | ThresholdRule | EventRule
export type RuleKind = Rule['kind']

export function compareValues(value: number, comparator: Comparator, limit: number): boolean {
  switch (comparator) {
    case '>':
      return value > limit
    case '>=':
      return value >= limit
    case '<':
      return value < limit
    case '<=':
      return value <= limit
  }
}

/** The value further in the comparator's direction: the peak of an episode (a minimum for `<`). */
export function moreExtreme(comparator: Comparator, a: number, b: number): number {
  switch (comparator) {
    case '>':
    case '>=':
      return Math.max(a, b)
    case '<':
    case '<=':
      return Math.min(a, b)
  }
}

/** The comparator and limit a rule compares its measure (a count or a field value) with. */
export function ruleLimit(rule: Rule): { comparator: Comparator; limit: number } {
  switch (rule.kind) {
    case 'count':
      return { comparator: rule.comparator ?? '>', limit: rule.threshold }
    case 'threshold':
    case 'event':
      return { comparator: rule.comparator, limit: rule.value }
  }
}
