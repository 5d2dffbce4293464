// GET /healthz (the process answers), GET /readyz (each dependency, with a reason when not ok),
// GET /metrics (Prometheus text of the process's registry).
import { z } from 'zod'
import { healthSchema, type Readiness, readinessSchema } from '../../contracts/api.ts'
import type { ApiContext, ApiInstance, HealthCheck } from '../api-context.ts'
import { COMMON_ERRORS } from './responses.ts'

const CHECK_TIMEOUT_MS = 3_000

export function registerHealthRoutes(app: ApiInstance, ctx: ApiContext): void {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers (no token needed)',
        security: [],
        querystring: z.strictObject({}),
        response: { 200: healthSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: PostgreSQL, the bus, the lake store and Slack delivery',
        description: '200 when every check is ok, else 503; each failing check says why.',
        querystring: z.strictObject({}),
        response: { 200: readinessSchema, ...COMMON_ERRORS, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, HealthCheck> = {
        postgres: async () => {
          await ctx.db.query('SELECT 1')
          return { ok: true }
        },
        ...ctx.checks,
      }
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
      )
      const body: Readiness = {
        status: entries.every(([, result]) => result.ok) ? 'ready' : 'not_ready',
        checks: Object.fromEntries(entries),
      }
      return reply.code(body.status === 'ready' ? 200 : 503).send(body)
    },
  )

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics of this process',
        querystring: z.strictObject({}),
        response: { 200: z.string().describe('Prometheus text exposition format'), ...COMMON_ERRORS },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics()
      return reply
        .type(ctx.metrics.registry.contentType)
        .serializer((payload) => payload as string)
        .send(text)
    },
  )
}

async function runCheck(check: HealthCheck): Promise<Readiness['checks'][string]> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    const result = await Promise.race([
      check(),
      new Promise<{ ok: boolean; reason: string }>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reason: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
          CHECK_TIMEOUT_MS,
        )
      }),
    ])
    const elapsed_ms = Math.round(performance.now() - started)
    return result.ok ? { ok: true, elapsed_ms } : { ok: false, reason: result.reason ?? 'not ok', elapsed_ms }
  } catch (error) {
    return {
      ok: false,
      reason: (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.slice(0, 300),
      elapsed_ms: Math.round(performance.now() - started),
    }
  } finally {
    clearTimeout(timer)
  }
}
