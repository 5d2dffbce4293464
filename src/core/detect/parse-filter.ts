// A rule's `filter` in a rules file: a mapping from field to condition, all of which must hold.
//   level: ERROR                     equals
//   status: [failed, declined]       in (any of)
//   amount: { '>=': 100, '<': 5000 } comparisons (numeric fields); also { equals: x } and { in: [...] }
// Values are checked against the field's type and, where the cleaner closes or normalises them
// (log levels, currencies), against the values an event can actually have.
import type { EventTopic } from '../../contracts/topics.ts'
import { COMPARATORS, type FieldCondition } from './rule.ts'
import { type FieldSpec, fieldNamesOf, fieldSpecOf, type RuleField } from './rule-fields.ts'

const OPERATORS = ['equals', 'in', ...COMPARATORS] as const
type Operator = (typeof OPERATORS)[number]

export function parseFilter(
  topic: EventTopic,
  filter: Record<string, unknown>,
  path: string,
  errors: string[],
): FieldCondition[] {
  const conditions: FieldCondition[] = []
  for (const [field, raw] of Object.entries(filter)) {
    const at = `${path}.${field}`
    const spec = fieldSpecOf(topic, field)
    if (!spec) {
      errors.push(`${at}: not a field of ${topic} (${fieldNamesOf(topic).join(', ')})`)
      continue
    }
    const name = field as RuleField
    if (Array.isArray(raw)) {
      pushIn(conditions, name, spec, raw, at, errors)
    } else if (raw !== null && typeof raw === 'object') {
      const entries = Object.entries(raw)
      if (entries.length === 0) errors.push(`${at}: expected a condition, e.g. { in: [a, b] } or { '>': 10 }`)
      for (const [operator, operand] of entries) {
        if (!(OPERATORS as readonly string[]).includes(operator)) {
          errors.push(`${at}.${operator}: unknown operator; expected one of ${OPERATORS.join(', ')}`)
          continue
        }
        pushOperator(conditions, name, spec, operator as Operator, operand, `${at}.${operator}`, errors)
      }
    } else {
      pushOperator(conditions, name, spec, 'equals', raw, at, errors)
    }
  }
  return conditions
}

function pushOperator(
  conditions: FieldCondition[],
  field: RuleField,
  spec: FieldSpec<never>,
  operator: Operator,
  operand: unknown,
  at: string,
  errors: string[],
): void {
  switch (operator) {
    case 'equals': {
      const value = checkValue(spec, operand, at, errors)
      if (value !== undefined) conditions.push({ field, op: 'equals', value })
      return
    }
    case 'in':
      if (!Array.isArray(operand)) errors.push(`${at}: expected a list of values`)
      else pushIn(conditions, field, spec, operand, at, errors)
      return
    case '>':
    case '>=':
    case '<':
    case '<=':
      if (spec.type !== 'number') errors.push(`${at}: ${field} is text; ${operator} compares numbers`)
      else if (typeof operand !== 'number' || !Number.isFinite(operand))
        errors.push(`${at}: expected a number`)
      else conditions.push({ field, op: operator, value: operand })
      return
  }
}

function pushIn(
  conditions: FieldCondition[],
  field: RuleField,
  spec: FieldSpec<never>,
  operands: unknown[],
  at: string,
  errors: string[],
): void {
  if (operands.length === 0) {
    errors.push(`${at}: expected at least one value`)
    return
  }
  const values: Array<string | number> = []
  operands.forEach((operand, index) => {
    const value = checkValue(spec, operand, `${at}[${index}]`, errors)
    if (value !== undefined) values.push(value)
  })
  if (values.length === operands.length) conditions.push({ field, op: 'in', values })
}

/** The value as events carry it (text fields compare as text, so 123 means "123"), or undefined after an error. */
function checkValue(
  spec: FieldSpec<never>,
  operand: unknown,
  at: string,
  errors: string[],
): string | number | undefined {
  if (spec.type === 'number') {
    if (typeof operand === 'number' && Number.isFinite(operand)) return operand
    errors.push(`${at}: expected a number`)
    return undefined
  }
  if (typeof operand !== 'string' && typeof operand !== 'number') {
    errors.push(`${at}: expected a text value`)
    return undefined
  }
  const value = String(operand)
  if (spec.values && !spec.values.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${spec.values.join(', ')}`)
    return undefined
  }
  if (spec.format && !spec.format.pattern.test(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not ${spec.format.description}`)
    return undefined
  }
  return value
}
