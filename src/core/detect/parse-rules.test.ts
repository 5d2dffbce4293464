import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_RULES } from './default-rules.ts'
import { parseRules } from './parse-rules.ts'

const example = readFileSync(new URL('./rules.example.yaml', import.meta.url), 'utf8')

/** A rules file of one rule: the built-in high_cpu rule with some options replaced (undefined: removed). */
function oneRule(options: Record<string, unknown>): string {
  const rule: Record<string, unknown> = {
    name: 'high_cpu',
    kind: 'threshold',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
  }
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) delete rule[name]
    else rule[name] = value
  }
  return JSON.stringify({ rules: [rule] })
}

describe('parseRules', () => {
  it('parses the example file, which starts with the built-in rules', () => {
    const result = parseRules(example, 'yaml')
    if (!('rules' in result)) throw new Error(result.errors.join('\n'))
    expect(result.rules.slice(0, 4)).toEqual(DEFAULT_RULES)
    expect(result.rules.map((r) => r.name)).toEqual([
      'error_burst',
      'high_cpu',
      'high_latency',
      'large_transaction',
      'cpu_saturated',
      'latency_floor',
      'failed_payments',
      'fatal_errors',
      'large_usd_payment',
    ])
  })

  it('reads the options of a rule into their units and defaults', () => {
    const yaml = `
rules:
  - name: failed_payments
    kind: count
    topic: transactions
    filter:
      status: [failed, declined]
      amount: { '>=': 1, '<': 5000 }
      user_id: 123
    window: 10m
    threshold: 5
    for: 1m
    recovery: 2
    quiet_period: 900000
`
    expect(parseRules(yaml, 'yaml')).toEqual({
      rules: [
        {
          kind: 'count',
          name: 'failed_payments',
          topic: 'transactions',
          filter: [
            { field: 'status', op: 'in', values: ['failed', 'declined'] },
            { field: 'amount', op: '>=', value: 1 },
            { field: 'amount', op: '<', value: 5000 },
            { field: 'user_id', op: 'equals', value: '123' },
          ],
          keyBy: 'user_id',
          windowMs: 600_000,
          threshold: 5,
          comparator: '>',
          forMs: 60_000,
          recovery: 2,
          quietPeriodMs: 900_000,
          severity: 'warning',
        },
      ],
    })
  })

  it('reads JSON', () => {
    expect(parseRules(oneRule({ severity: 'critical', for: '30s' }), 'json')).toEqual({
      rules: [
        {
          kind: 'threshold',
          name: 'high_cpu',
          topic: 'metrics',
          field: 'cpu',
          comparator: '>',
          value: 85,
          keyBy: 'service',
          forMs: 30_000,
          severity: 'critical',
        },
      ],
    })
  })

  it('accepts an empty list: no detection', () => {
    expect(parseRules('rules: []', 'yaml')).toEqual({ rules: [] })
  })

  it.each<[string, string, 'yaml' | 'json', string[]]>([
    [
      'not YAML',
      'rules: [1\nfoo: 2',
      'yaml',
      ['line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    ['a duplicate key', 'rules: []\nrules: []', 'yaml', ['line 2, column 1: Map keys must be unique']],
    [
      'not JSON',
      '{"rules": [}',
      'json',
      ['invalid JSON: Unexpected token \'}\', "{"rules": [}" is not valid JSON'],
    ],
    ['an empty file', '', 'yaml', ['(file): expected a mapping with a list of rules under "rules"']],
    ['a list at the top', '[]', 'json', ['(file): expected a mapping with a list of rules under "rules"']],
    ['no rules', '{}', 'json', ['rules: missing: expected a list of rules']],
    [
      'an unknown top-level option',
      '{"rules": [], "rule": 1}',
      'json',
      ['rule: not an option of the file (rules)'],
    ],
    [
      'a rule that is not a mapping',
      '{"rules": ["high_cpu"]}',
      'json',
      ['rules[0]: expected a mapping of rule options'],
    ],
    [
      'no kind',
      oneRule({ kind: undefined }),
      'json',
      ['rules[0].kind: missing: expected one of count, threshold, event'],
    ],
    [
      'an unknown kind',
      oneRule({ kind: 'ratio' }),
      'json',
      ['rules[0].kind: expected one of count, threshold, event'],
    ],
    ['no name', oneRule({ name: undefined }), 'json', ['rules[0].name: missing: expected a name']],
    [
      'a name with spaces',
      oneRule({ name: 'high cpu' }),
      'json',
      ['rules[0].name: expected 1 to 100 letters, digits, "_", "-" or "."'],
    ],
    [
      'an unknown topic',
      oneRule({ topic: 'metric' }),
      'json',
      ['rules[0].topic: expected one of logs, metrics, transactions'],
    ],
    [
      'a field of another topic',
      oneRule({ field: 'amount' }),
      'json',
      ['rules[0].field: expected a numeric field of metrics: cpu, latency_ms'],
    ],
    [
      'a text field to compare',
      oneRule({ field: 'service' }),
      'json',
      ['rules[0].field: expected a numeric field of metrics: cpu, latency_ms'],
    ],
    [
      'an unknown comparator',
      oneRule({ comparator: '=>' }),
      'json',
      ['rules[0].comparator: expected one of >, >=, <, <='],
    ],
    ['a value as text', oneRule({ value: '85' }), 'json', ['rules[0].value: expected a number']],
    [
      'a key that spans partitions',
      oneRule({ key_by: 'cpu' }),
      'json',
      ["rules[0].key_by: expected service for metrics: a key's events must share a partition"],
    ],
    [
      'an unknown severity',
      oneRule({ severity: 'high' }),
      'json',
      ['rules[0].severity: expected one of info, warning, critical'],
    ],
    ['a bad duration', oneRule({ for: '2 minutes' }), 'json', ['rules[0].for: expected a duration like 2m']],
    [
      'a negative quiet period',
      oneRule({ quiet_period: -1 }),
      'json',
      ['rules[0].quiet_period: expected a duration like 5m'],
    ],
    [
      'a zero quiet period',
      oneRule({ quiet_period: '0s' }),
      'json',
      ['rules[0].quiet_period: expected a duration like 5m'],
    ],
    ['a fractional duration', oneRule({ for: 1.5 }), 'json', ['rules[0].for: expected a duration like 2m']],
    [
      'a recovery past the threshold',
      oneRule({ recovery: 90 }),
      'json',
      ['rules[0].recovery: expected a value at or below 85 (>)'],
    ],
    [
      'a recovery past a < threshold',
      oneRule({ comparator: '<', value: 10, recovery: 5 }),
      'json',
      ['rules[0].recovery: expected a value at or above 10 (<)'],
    ],
    [
      'an option of another kind',
      oneRule({ window: '60s', threshold: 3 }),
      'json',
      [
        'rules[0].window: not an option of threshold rules (name, kind, topic, filter, key_by, severity, quiet_period, field, comparator, value, for, recovery)',
        'rules[0].threshold: not an option of threshold rules (name, kind, topic, filter, key_by, severity, quiet_period, field, comparator, value, for, recovery)',
      ],
    ],
    [
      'for on an event rule',
      '{"rules": [{"name": "big", "kind": "event", "topic": "transactions", "field": "amount", "comparator": ">", "value": 1, "for": "1m"}]}',
      'json',
      [
        'rules[0].for: not an option of event rules (name, kind, topic, filter, key_by, severity, quiet_period, field, comparator, value)',
      ],
    ],
    [
      'a count rule without its window',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "threshold": 20}]}',
      'json',
      ['rules[0].window: missing: expected a duration like 60s'],
    ],
    [
      'a count rule with a bad window and threshold',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "window": "soon", "threshold": 2.5}]}',
      'json',
      [
        'rules[0].window: expected a duration like 60s',
        'rules[0].threshold: expected a whole number, 0 or more',
      ],
    ],
    [
      'a count rule with a zero window',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "window": 0, "threshold": 1}]}',
      'json',
      ['rules[0].window: expected a duration like 60s'],
    ],
    [
      'a count rule counting too few',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "window": "1m", "threshold": 1, "comparator": "<"}]}',
      'json',
      ['rules[0].comparator: expected > or >='],
    ],
    [
      'a filter that is a list',
      oneRule({ filter: ['cpu'] }),
      'json',
      ['rules[0].filter: expected a mapping of field to condition'],
    ],
    [
      'a filter on an unknown field',
      oneRule({ filter: { host: 'a' } }),
      'json',
      ['rules[0].filter.host: not a field of metrics (service, cpu, latency_ms)'],
    ],
    [
      'a filter with an unknown operator',
      oneRule({ filter: { cpu: { gt: 1 } } }),
      'json',
      ['rules[0].filter.cpu.gt: unknown operator; expected one of equals, in, >, >=, <, <='],
    ],
    [
      'a filter comparing text',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "window": "1m", "threshold": 1, "filter": {"level": {">": 3}}}]}',
      'json',
      ['rules[0].filter.level.>: level is text; > compares numbers'],
    ],
    [
      'a filter with an unknown level',
      '{"rules": [{"name": "e", "kind": "count", "topic": "logs", "window": "1m", "threshold": 1, "filter": {"level": ["ERROR", "EROR"]}}]}',
      'json',
      ['rules[0].filter.level[1]: "EROR" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL'],
    ],
    [
      'a filter with a lower-case currency',
      '{"rules": [{"name": "e", "kind": "event", "topic": "transactions", "field": "amount", "comparator": ">", "value": 1, "filter": {"currency": "usd"}}]}',
      'json',
      ['rules[0].filter.currency: "usd" is not an upper-case ISO 4217 code like USD'],
    ],
    [
      'a filter with an empty list',
      oneRule({ filter: { service: [] } }),
      'json',
      ['rules[0].filter.service: expected at least one value'],
    ],
    [
      'a filter with a text number',
      oneRule({ filter: { cpu: { in: [1, 'two'] } } }),
      'json',
      ['rules[0].filter.cpu.in[1]: expected a number'],
    ],
    [
      'a filter with an empty condition',
      oneRule({ filter: { cpu: {} } }),
      'json',
      ["rules[0].filter.cpu: expected a condition, e.g. { in: [a, b] } or { '>': 10 }"],
    ],
  ])('reports %s', (_, text, format, errors) => {
    expect(parseRules(text, format)).toEqual({ errors })
  })

  it('reports every problem of every rule, and names used twice', () => {
    const yaml = `
rules:
  - { name: a, kind: threshold, topic: metrics, field: cpu, comparator: '>', value: 1 }
  - { name: b, kind: threshold, topic: metrics, field: cpu, comparator: '>', value: x, severity: loud }
  - { name: a, kind: event, topic: transactions, field: amount, comparator: '>', value: 1 }
`
    expect(parseRules(yaml, 'yaml')).toEqual({
      errors: [
        'rules[1].severity: expected one of info, warning, critical',
        'rules[1].value: expected a number',
        'rules[2].name: "a" is already the name of rules[0]',
      ],
    })
  })
})
