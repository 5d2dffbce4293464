// Rules turned into what the hot loop needs: field readers picked once, defaults applied, and a
// signature of everything that decides what a rule observes and how it evaluates (a rule whose
// signature changed starts its windows afresh; see detector-state.ts).
import { createHash } from 'node:crypto'
import type { Event } from '../../contracts/events.ts'
import { type EventKind, type EventTopic, KIND_OF_TOPIC } from '../../contracts/topics.ts'
import {
  type Comparator,
  compareValues,
  DEFAULT_QUIET_PERIOD_MS,
  type FieldCondition,
  type Rule,
  ruleLimit,
} from './rule.ts'
import { type FieldValue, fieldSpecOf } from './rule-fields.ts'

export interface CompiledRule {
  rule: Rule
  name: string
  topic: EventTopic
  eventKind: EventKind
  signature: string
  /** true when some event passes the filter, i.e. the rule can observe anything at all */
  matches: (event: Event) => boolean
  readKey: (event: Event) => FieldValue
  /** count rules: null (the measure is the window's count) */
  readValue: ((event: Event) => FieldValue) | null
  comparator: Comparator
  limit: number
  recovery: number | null
  forMs: number
  quietPeriodMs: number
  /** count rules: > 0; other kinds: 0 */
  windowMs: number
  /**
   * Whether readings where the condition does not hold matter. They do when `for` (a failing
   * reading breaks the streak) or `recovery` (it ends the latch) is set, and always for count
   * rules (every matching event enters the window); otherwise only holding readings are kept.
   */
  observesAll: boolean
}

export interface CompiledRules {
  list: CompiledRule[]
  byKind: Record<EventKind, CompiledRule[]>
  byName: Map<string, CompiledRule>
}

const cache = new WeakMap<readonly Rule[], CompiledRules>()

/** Compiles once per rules array (memoised on its identity). A repeated name: the first one wins. */
export function compileRules(rules: readonly Rule[]): CompiledRules {
  const cached = cache.get(rules)
  if (cached) return cached
  const compiled: CompiledRules = {
    list: [],
    byKind: { log: [], metric: [], transaction: [] },
    byName: new Map(),
  }
  for (const rule of rules) {
    if (compiled.byName.has(rule.name)) continue
    const one = compileRule(rule)
    compiled.list.push(one)
    compiled.byKind[one.eventKind].push(one)
    compiled.byName.set(one.name, one)
  }
  cache.set(rules, compiled)
  return compiled
}

function compileRule(rule: Rule): CompiledRule {
  const { comparator, limit } = ruleLimit(rule)
  const base = {
    rule,
    name: rule.name,
    topic: rule.topic,
    eventKind: KIND_OF_TOPIC[rule.topic],
    signature: ruleSignature(rule),
    matches: compileFilter(rule.topic, rule.filter ?? []),
    readKey: compileReader(rule.topic, rule.keyBy),
    comparator,
    limit,
    // at least 1 ms, so that two episodes of a key never start at one instant (they would share an id)
    quietPeriodMs: Math.max(1, rule.quietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS),
  }
  switch (rule.kind) {
    case 'count':
      return {
        ...base,
        readValue: null,
        recovery: rule.recovery ?? null,
        forMs: rule.forMs ?? 0,
        windowMs: rule.windowMs,
        observesAll: true,
      }
    case 'threshold':
      return {
        ...base,
        readValue: compileReader(rule.topic, rule.field),
        recovery: rule.recovery ?? null,
        forMs: rule.forMs ?? 0,
        windowMs: 0,
        observesAll: (rule.forMs ?? 0) > 0 || rule.recovery !== undefined,
      }
    case 'event':
      return {
        ...base,
        readValue: compileReader(rule.topic, rule.field),
        recovery: null,
        forMs: 0,
        windowMs: 0,
        observesAll: false,
      }
  }
}

/** A field the topic does not have reads as null: such a rule observes nothing (the parser rejects it). */
function compileReader(topic: EventTopic, field: string): (event: Event) => FieldValue {
  const spec = fieldSpecOf(topic, field)
  if (!spec) return () => null
  return spec.read
}

function compileFilter(topic: EventTopic, conditions: readonly FieldCondition[]): (event: Event) => boolean {
  if (conditions.length === 0) return () => true
  const tests = conditions.map((condition) => compileCondition(topic, condition))
  return (event) => {
    for (const test of tests) if (!test(event)) return false
    return true
  }
}

function compileCondition(topic: EventTopic, condition: FieldCondition): (event: Event) => boolean {
  const read = compileReader(topic, condition.field)
  switch (condition.op) {
    case 'equals': {
      const expected = condition.value
      return (event) => read(event) === expected
    }
    case 'in': {
      const expected = new Set<FieldValue>(condition.values)
      return (event) => expected.has(read(event))
    }
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const { op, value } = condition
      return (event) => {
        const actual = read(event)
        return typeof actual === 'number' && compareValues(actual, op, value)
      }
    }
  }
}

/** Everything that decides what a rule observes and how; severity and quiet period apply as they are. */
function ruleSignature(rule: Rule): string {
  const shape = (() => {
    switch (rule.kind) {
      case 'count':
        return [rule.windowMs, rule.threshold, rule.comparator ?? '>', rule.forMs ?? 0, rule.recovery ?? null]
      case 'threshold':
        return [rule.field, rule.comparator, rule.value, rule.forMs ?? 0, rule.recovery ?? null]
      case 'event':
        return [rule.field, rule.comparator, rule.value]
    }
  })()
  const text = JSON.stringify([rule.kind, rule.topic, rule.keyBy, rule.filter ?? [], shape])
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}
