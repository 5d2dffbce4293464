// The built-in rules, exactly the seed's: no `for`, no hysteresis, so a single reading over a
// threshold fires. rules.example.yaml spells the same four rules first.
import type { Rule } from './rule.ts'

export const DEFAULT_RULES: readonly Rule[] = [
  {
    kind: 'count',
    name: 'error_burst',
    topic: 'logs',
    filter: [{ field: 'level', op: 'equals', value: 'ERROR' }],
    keyBy: 'service',
    windowMs: 60_000,
    threshold: 20,
    comparator: '>',
    severity: 'critical',
  },
  {
    kind: 'threshold',
    name: 'high_cpu',
    topic: 'metrics',
    field: 'cpu',
    comparator: '>',
    value: 85,
    keyBy: 'service',
    severity: 'warning',
  },
  {
    kind: 'threshold',
    name: 'high_latency',
    topic: 'metrics',
    field: 'latency_ms',
    comparator: '>',
    value: 400,
    keyBy: 'service',
    severity: 'warning',
  },
  {
    kind: 'event',
    name: 'large_transaction',
    topic: 'transactions',
    field: 'amount',
    comparator: '>',
    value: 10_000,
    keyBy: 'transaction_id',
    severity: 'warning',
  },
]
