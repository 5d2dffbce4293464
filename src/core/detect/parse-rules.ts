// The rules file (RULES_FILE): YAML or JSON, `rules:` a list of rules. Every problem is reported,
// one line each, named by where it is: `rules[2].window: expected a duration like 60s`.
// rules.example.yaml documents every option.
import YAML, { LineCounter } from 'yaml'
import { z } from 'zod'
import { parseDurationMs } from '../../config/durations.ts'
import { EVENT_TOPICS, type EventTopic } from '../../contracts/topics.ts'
import { parseFilter } from './parse-filter.ts'
import { COMPARATORS, COUNT_COMPARATORS, type Comparator, type Rule, SEVERITIES } from './rule.ts'
import { fieldNamesOf, fieldSpecOf, KEY_FIELDS, type RuleField } from './rule-fields.ts'

export type RulesFormat = 'yaml' | 'json'
export type ParseRulesResult = { rules: Rule[] } | { errors: string[] }

const RULE_KINDS = ['count', 'threshold', 'event'] as const

/** Message for a value that is missing or of the wrong kind. */
const expected = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `missing: expected ${what}` : `expected ${what}`

/** A duration in ms; `positive` rejects 0 (windows and quiet periods), `for` may be 0. */
const durationOf = (example: string, positive: boolean) =>
  z.unknown().transform((input, ctx): number => {
    const ms =
      typeof input === 'number' ? input : typeof input === 'string' ? parseDurationMs(input) : undefined
    if (ms === undefined || !Number.isInteger(ms) || ms < 0 || (positive && ms === 0)) {
      const prefix = input === undefined ? 'missing: ' : ''
      ctx.addIssue({ code: 'custom', message: `${prefix}expected a duration like ${example}` })
      return z.NEVER
    }
    return ms
  })

const finiteNumber = z.number({ error: expected('a number') })
const common = {
  name: z
    .string({ error: expected('a name') })
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected 1 to 100 letters, digits, "_", "-" or "."'),
  kind: z.enum(RULE_KINDS),
  topic: z.enum(EVENT_TOPICS, { error: expected(`one of ${EVENT_TOPICS.join(', ')}`) }),
  filter: z
    .record(z.string(), z.unknown(), { error: expected('a mapping of field to condition') })
    .optional(),
  key_by: z.string({ error: expected('a field name') }).optional(),
  severity: z.enum(SEVERITIES, { error: expected(`one of ${SEVERITIES.join(', ')}`) }).default('warning'),
  quiet_period: durationOf('5m', true).optional(),
}
const comparator = z.enum(COMPARATORS, { error: expected(`one of ${COMPARATORS.join(', ')}`) })
const field = z.string({ error: expected('a field name') })

const ruleSchemas = {
  count: z.strictObject({
    ...common,
    window: durationOf('60s', true),
    threshold: z
      .number({ error: expected('a whole number, 0 or more') })
      .int('expected a whole number, 0 or more')
      .nonnegative('expected a whole number, 0 or more'),
    comparator: z.enum(COUNT_COMPARATORS, { error: expected('> or >=') }).default('>'),
    for: durationOf('2m', false).optional(),
    recovery: finiteNumber.optional(),
  }),
  threshold: z.strictObject({
    ...common,
    field,
    comparator,
    value: finiteNumber,
    for: durationOf('2m', false).optional(),
    recovery: finiteNumber.optional(),
  }),
  event: z.strictObject({ ...common, field, comparator, value: finiteNumber }),
}

const fileSchema = z.strictObject(
  { rules: z.array(z.unknown(), { error: expected('a list of rules') }) },
  { error: expected('a mapping with a list of rules under "rules"') },
)

export function parseRules(text: string, format: RulesFormat): ParseRulesResult {
  const read = readDocument(text, format)
  if ('errors' in read) return read
  const file = fileSchema.safeParse(read.value)
  if (!file.success) return { errors: formatIssues(file.error.issues, '', Object.keys(fileSchema.shape)) }
  const errors: string[] = []
  const rules: Rule[] = []
  const firstIndexOfName = new Map<string, number>()
  file.data.rules.forEach((item, index) => {
    const path = `rules[${index}]`
    const rule = parseRule(item, path, errors)
    if (!rule) return
    const first = firstIndexOfName.get(rule.name)
    if (first !== undefined) {
      errors.push(`${path}.name: ${JSON.stringify(rule.name)} is already the name of rules[${first}]`)
      return
    }
    firstIndexOfName.set(rule.name, index)
    rules.push(rule)
  })
  return errors.length > 0 ? { errors } : { rules }
}

function readDocument(text: string, format: RulesFormat): { value: unknown } | { errors: string[] } {
  if (format === 'json') {
    try {
      return { value: JSON.parse(text) }
    } catch (error) {
      return { errors: [`invalid JSON: ${(error as Error).message}`] }
    }
  }
  const lineCounter = new LineCounter()
  const document = YAML.parseDocument(text, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    return {
      errors: document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0])
        return `line ${line}, column ${col}: ${error.message}`
      }),
    }
  }
  try {
    return { value: document.toJS({ maxAliasCount: 100 }) }
  } catch (error) {
    return { errors: [`invalid YAML: ${(error as Error).message}`] }
  }
}

function parseRule(item: unknown, path: string, errors: string[]): Rule | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    errors.push(`${path}: expected a mapping of rule options`)
    return undefined
  }
  const kind = (item as Record<string, unknown>)['kind']
  if (!(RULE_KINDS as readonly unknown[]).includes(kind)) {
    errors.push(`${path}.kind: ${expected(`one of ${RULE_KINDS.join(', ')}`)({ input: kind })}`)
    return undefined
  }
  const before = errors.length
  switch (kind as (typeof RULE_KINDS)[number]) {
    case 'count': {
      const parsed = ruleSchemas.count.safeParse(item)
      if (!parsed.success) return fail(parsed.error.issues, path, 'count', errors)
      const r = parsed.data
      const filter = parseFilter(r.topic, r.filter ?? {}, `${path}.filter`, errors)
      const keyBy = checkKeyBy(r.topic, r.key_by, path, errors)
      checkRecovery(r.recovery, r.comparator, r.threshold, path, errors)
      if (errors.length > before) return undefined
      return {
        kind: 'count',
        name: r.name,
        topic: r.topic,
        ...given({ filter }),
        keyBy,
        windowMs: r.window!,
        threshold: r.threshold,
        comparator: r.comparator,
        ...given({ forMs: r.for, recovery: r.recovery, quietPeriodMs: r.quiet_period }),
        severity: r.severity,
      }
    }
    case 'threshold': {
      const parsed = ruleSchemas.threshold.safeParse(item)
      if (!parsed.success) return fail(parsed.error.issues, path, 'threshold', errors)
      const r = parsed.data
      const filter = parseFilter(r.topic, r.filter ?? {}, `${path}.filter`, errors)
      const keyBy = checkKeyBy(r.topic, r.key_by, path, errors)
      const field = checkNumericField(r.topic, r.field, path, errors)
      checkRecovery(r.recovery, r.comparator, r.value, path, errors)
      if (errors.length > before || !field) return undefined
      return {
        kind: 'threshold',
        name: r.name,
        topic: r.topic,
        ...given({ filter }),
        field,
        comparator: r.comparator,
        value: r.value,
        keyBy,
        ...given({ forMs: r.for, recovery: r.recovery, quietPeriodMs: r.quiet_period }),
        severity: r.severity,
      }
    }
    case 'event': {
      const parsed = ruleSchemas.event.safeParse(item)
      if (!parsed.success) return fail(parsed.error.issues, path, 'event', errors)
      const r = parsed.data
      const filter = parseFilter(r.topic, r.filter ?? {}, `${path}.filter`, errors)
      const keyBy = checkKeyBy(r.topic, r.key_by, path, errors)
      const field = checkNumericField(r.topic, r.field, path, errors)
      if (errors.length > before || !field) return undefined
      return {
        kind: 'event',
        name: r.name,
        topic: r.topic,
        ...given({ filter }),
        field,
        comparator: r.comparator,
        value: r.value,
        keyBy,
        ...given({ quietPeriodMs: r.quiet_period }),
        severity: r.severity,
      }
    }
  }
}

/** The options that were given: a rule leaves out what the file left out (an empty filter included). */
function given<T extends Record<string, unknown>>(options: T): Partial<T> {
  const out: Partial<T> = {}
  for (const name of Object.keys(options) as Array<keyof T>) {
    const value = options[name]
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue
    out[name] = value
  }
  return out
}

function fail(
  issues: z.core.$ZodIssue[],
  path: string,
  kind: keyof typeof ruleSchemas,
  errors: string[],
): undefined {
  errors.push(...formatIssues(issues, path, Object.keys(ruleSchemas[kind].shape), `${kind} rules`))
  return undefined
}

function formatIssues(
  issues: z.core.$ZodIssue[],
  path: string,
  options: string[],
  of = 'the file',
): string[] {
  const lines: string[] = []
  for (const issue of issues) {
    const at = [path, ...issue.path.map(String)].filter(Boolean).join('.')
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${[at, key].filter(Boolean).join('.')}: not an option of ${of} (${options.join(', ')})`)
      }
    } else lines.push(`${at || '(file)'}: ${issue.message}`)
  }
  return lines
}

function checkKeyBy(topic: EventTopic, keyBy: string | undefined, path: string, errors: string[]): RuleField {
  const allowed = KEY_FIELDS[topic]
  if (keyBy === undefined) return allowed[0]!
  if (!(allowed as readonly string[]).includes(keyBy)) {
    errors.push(
      `${path}.key_by: expected ${allowed.join(' or ')} for ${topic}: a key's events must share a partition`,
    )
  }
  return keyBy as RuleField
}

function checkNumericField(
  topic: EventTopic,
  field: string,
  path: string,
  errors: string[],
): RuleField | undefined {
  if (fieldSpecOf(topic, field)?.type === 'number') return field as RuleField
  const numeric = fieldNamesOf(topic).filter((name) => fieldSpecOf(topic, name)?.type === 'number')
  errors.push(`${path}.field: expected a numeric field of ${topic}: ${numeric.join(', ')}`)
  return undefined
}

/** Hysteresis holds an open episode on a looser condition, so the recovery value is on the near side. */
function checkRecovery(
  recovery: number | undefined,
  comparator: Comparator,
  limit: number,
  path: string,
  errors: string[],
): void {
  if (recovery === undefined) return
  const upward = comparator === '>' || comparator === '>='
  if (upward ? recovery > limit : recovery < limit) {
    errors.push(
      `${path}.recovery: expected a value ${upward ? 'at or below' : 'at or above'} ${limit} (${comparator})`,
    )
  }
}
