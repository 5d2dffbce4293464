// GET/POST/DELETE /api/silences: mute notifications by rule and/or key until a time.
import { z } from 'zod'
import { createSilence, expireSilence, listSilences } from '../../adapters/postgres/queries/index.ts'
import { silenceListSchema, silenceSchema } from '../../contracts/api.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { badRequest, notFound } from '../api-error.ts'
import { countParam, enumParam, NAME, textParam } from '../params.ts'
import { parseDurationParam, parseTimeParam } from '../time-range.ts'
import { COMMON_ERRORS, NOT_FOUND } from './responses.ts'

const MAX_SILENCE_MS = 90 * 86_400_000

export function registerSilenceRoutes(app: ApiInstance, ctx: ApiContext): void {
  app.get(
    '/api/silences',
    {
      schema: {
        tags: ['silences'],
        summary: 'Silences, newest first',
        querystring: z.strictObject({
          state: enumParam(['active', 'expired', 'all'], 'which silences (default active)').optional(),
          limit: countParam(1000, 'at most this many, 1..1000 (default 100)').optional(),
        }),
        response: { 200: silenceListSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => ({
      items: await listSilences(ctx.db, request.query.state ?? 'active', request.query.limit ?? 100),
    }),
  )

  app.post(
    '/api/silences',
    {
      schema: {
        tags: ['silences'],
        summary: 'Create a silence',
        description:
          'A null (or absent) rule or key matches any; a silence with neither mutes every notification. ' +
          'Give `duration` (e.g. "2h") or `expires_at`, at most 90 days ahead.',
        body: z.strictObject({
          rule: NAME.nullable().describe('the rule to silence; null: any').optional(),
          key: NAME.nullable()
            .describe('the key (service, user, transaction) to silence; null: any')
            .optional(),
          duration: z.string().max(32).describe('how long from now, e.g. 30m, 2h, 1d').optional(),
          expires_at: z.string().max(64).describe('until when, ISO 8601').optional(),
          comment: textParam(2000).describe('why').optional(),
          created_by: textParam(200).describe('who'),
        }),
        response: { 201: silenceSchema, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body
      const nowMs = ctx.now()
      if ((body.duration === undefined) === (body.expires_at === undefined)) {
        throw badRequest('body.duration: give either duration or expires_at')
      }
      let expiresAtMs: number
      if (body.duration !== undefined) {
        const ms = parseDurationParam(body.duration)
        if (ms === undefined || ms <= 0)
          throw badRequest('body.duration: expected a duration like 30m, 2h or 1d')
        expiresAtMs = nowMs + ms
      } else {
        const at = parseTimeParam(body.expires_at!, nowMs)
        if (at === undefined) throw badRequest('body.expires_at: expected an ISO 8601 time')
        expiresAtMs = at
      }
      if (expiresAtMs <= nowMs) throw badRequest('body.expires_at: must be in the future')
      if (expiresAtMs > nowMs + MAX_SILENCE_MS) throw badRequest('body.expires_at: at most 90 days ahead')
      const rule = body.rule ?? null
      if (rule !== null && !ctx.rules.some((r) => r.name === rule)) {
        throw badRequest(
          `body.rule: no rule named ${JSON.stringify(rule)} (rules: ${ctx.rules.map((r) => r.name).join(', ')})`,
        )
      }
      const silence = await createSilence(ctx.db, {
        rule,
        key: body.key ?? null,
        expiresAtMs,
        comment: body.comment ?? '',
        createdBy: body.created_by,
      })
      request.log.info(
        { silence: silence.id, rule, key: silence.key, by: silence.created_by },
        'silence created',
      )
      return reply.code(201).send(silence)
    },
  )

  app.delete(
    '/api/silences/:id',
    {
      schema: {
        tags: ['silences'],
        summary: 'End a silence now',
        description: 'The silence expires now and is kept (anomalies it muted name it).',
        params: z.strictObject({ id: textParam(200).describe('the silence id') }),
        response: { 204: z.null().describe('ended'), ...NOT_FOUND, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      if (!(await expireSilence(ctx.db, request.params.id))) {
        throw notFound(`id: no silence ${JSON.stringify(request.params.id)}`)
      }
      request.log.info({ silence: request.params.id }, 'silence ended')
      return reply.code(204).send(null)
    },
  )
}
