// Query and path parameters, as zod schemas: the validation (every value arrives as text) and the
// OpenAPI description at once. Messages say what is expected; the validator prefixes the name.
import { z } from 'zod'
import { isWellFormedText } from './cursor.ts'
import { TIME_PARAM_HELP } from './time-range.ts'

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Free text: not empty, bounded, and only what PostgreSQL text can hold. */
export function textParam(maxChars = 200) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(maxChars, `at most ${maxChars} characters`)
    .refine(isWellFormedText, 'must not contain U+0000 or unpaired surrogates')
}

export function timeParam(description: string) {
  return z.string().max(64, 'at most 64 characters').describe(`${description}; ${TIME_PARAM_HELP}`)
}

/** A whole number in 1..max, sent as digits. */
export function countParam(max: number, description: string) {
  const message = `expected a whole number 1..${max}`
  return z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, message)
    .describe(description)
}

/** A finite decimal number. */
export function numberParam(description: string) {
  return z
    .string()
    .regex(DECIMAL, 'expected a decimal number')
    .transform(Number)
    .refine((n) => Number.isFinite(n), 'expected a finite number')
    .describe(description)
}

/** One value or several separated by commas (at most 50), each checked by `item`. */
export function listParam(item: z.ZodType<string, string>, description: string) {
  return z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()))
    .pipe(z.array(item).min(1).max(50, 'at most 50 values'))
    .describe(`${description}; several separated by commas`)
}

/** Values from a closed list, any case, separated by commas; given back as listed. */
export function enumListParam<const T extends readonly string[]>(values: T, description: string) {
  const byUpper = new Map(values.map((v) => [v.toUpperCase(), v]))
  const message = `expected ${values.join(', ')} (several separated by commas)`
  return z
    .string()
    .transform((s, ctx) => {
      const out: T[number][] = []
      for (const part of s.split(',')) {
        const value = byUpper.get(part.trim().toUpperCase())
        if (value === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(part.slice(0, 40))} is not one of: ${message}`,
          })
          return z.NEVER
        }
        if (!out.includes(value)) out.push(value)
      }
      return out
    })
    .describe(`${description}: ${values.join(', ')}; several separated by commas`)
}

/** One of a closed list, as written. */
export function enumParam<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z
    .enum(values, {
      error: (issue) => (issue.input === undefined ? 'required' : `expected one of ${values.join(', ')}`),
    })
    .describe(description)
}

/** `true` or `false`. */
export function booleanParam(description: string) {
  return z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .transform((s) => s === 'true')
    .describe(description)
}

/** Names of services, rules, keys: letters, digits and a few separators, as the cleaner allows. */
export const NAME = textParam(200)
