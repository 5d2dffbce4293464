// Fastify's schema compilers for zod schemas (with fastify-type-provider-zod's types and OpenAPI
// transform): request parts are validated strictly, and a failure becomes a 400 whose message
// names the parameter; responses are checked against the contract when asked (tests), else
// serialised as they are.
import type { FastifySchemaCompiler } from 'fastify'
import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import type { z } from 'zod'
import { badRequest } from './api-error.ts'

type Part = 'querystring' | 'params' | 'body' | 'headers' | string

const MAX_ISSUES = 3

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    if (httpPart === 'querystring' && data && typeof data === 'object') {
      for (const [name, value] of Object.entries(data)) {
        if (Array.isArray(value))
          return { error: badRequest(`${name}: expected one value, got ${value.length}`) }
      }
    }
    const result = schema.safeParse(data)
    if (result.success) return { value: result.data }
    return { error: badRequest(formatIssues(result.error.issues, httpPart ?? 'request')) }
  }
}

export function createSerializerCompiler(validate: boolean): FastifySerializerCompiler<z.ZodType> {
  return ({ schema }) =>
    (data: unknown) =>
      JSON.stringify(validate ? (schema as z.ZodType).parse(data) : data)
}

/** "limit: expected a whole number 1..1000; unknown parameter \"foo\"" */
export function formatIssues(issues: readonly z.core.$ZodIssue[], part: Part): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => formatIssue(issue, part))
  if (issues.length > MAX_ISSUES) lines.push(`and ${issues.length - MAX_ISSUES} more`)
  return lines.join('; ')
}

function formatIssue(issue: z.core.$ZodIssue, part: Part): string {
  const prefix = part === 'body' ? 'body' : ''
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.')
  const where = path || (part === 'body' ? 'body' : part)
  if (issue.code === 'unrecognized_keys') {
    const what = part === 'querystring' ? 'parameter' : part === 'body' ? 'field' : 'name'
    const names = issue.keys.map((k) => JSON.stringify(k)).join(', ')
    return part === 'querystring' && issue.path.length === 0
      ? `unknown ${what}${issue.keys.length > 1 ? 's' : ''} ${names}`
      : `${where}: unknown ${what}${issue.keys.length > 1 ? 's' : ''} ${names}`
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${where}: required`
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`
}
