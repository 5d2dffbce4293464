// GET /api/rules: the rules the etl detects with (RULES_FILE or the built-in ones).
import { z } from 'zod'
import { type RuleItem, ruleListSchema } from '../../contracts/api.ts'
import type { Rule } from '../../core/detect/index.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { COMMON_ERRORS } from './responses.ts'

export function registerRuleRoutes(app: ApiInstance, ctx: ApiContext): void {
  const rules = ctx.rules.map(toRuleItem)
  app.get(
    '/api/rules',
    {
      schema: {
        tags: ['rules'],
        summary: 'The anomaly rules',
        querystring: z.strictObject({}),
        response: { 200: ruleListSchema, ...COMMON_ERRORS },
      },
    },
    async () => ({ rules }),
  )
}

export function toRuleItem(rule: Rule): RuleItem {
  const common = {
    name: rule.name,
    kind: rule.kind,
    topic: rule.topic,
    key_by: rule.keyBy,
    severity: rule.severity,
    filter: (rule.filter ?? []).map((c) =>
      'values' in c
        ? { field: c.field, op: c.op, values: [...c.values] }
        : { field: c.field, op: c.op, value: c.value },
    ),
    quiet_period_ms: rule.quietPeriodMs ?? null,
  }
  switch (rule.kind) {
    case 'count':
      return {
        ...common,
        window_ms: rule.windowMs,
        threshold: rule.threshold,
        field: null,
        value: null,
        comparator: rule.comparator ?? '>',
        for_ms: rule.forMs ?? null,
        recovery: rule.recovery ?? null,
      }
    case 'threshold':
      return {
        ...common,
        window_ms: null,
        threshold: null,
        field: rule.field,
        value: rule.value,
        comparator: rule.comparator,
        for_ms: rule.forMs ?? null,
        recovery: rule.recovery ?? null,
      }
    case 'event':
      return {
        ...common,
        window_ms: null,
        threshold: null,
        field: rule.field,
        value: rule.value,
        comparator: rule.comparator,
        for_ms: null,
        recovery: null,
      }
  }
}
