// GET /api/logs, /api/metrics, /api/transactions: stored events, filtered, newest first.
import { z } from 'zod'
import { listLogs, listMetrics, listTransactions } from '../../adapters/postgres/queries/index.ts'
import { logPageSchema, metricPageSchema, transactionPageSchema } from '../../contracts/api.ts'
import { LOG_LEVELS } from '../../contracts/events.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { countParam, enumListParam, listParam, NAME, numberParam, textParam, timeParam } from '../params.ts'
import { listPage } from './list-page.ts'
import { COMMON_ERRORS } from './responses.ts'

const HOUR_MS = 3_600_000

export function listingParams(ctx: ApiContext, defaultFrom: string) {
  return {
    from: timeParam(`start of the range, inclusive (default ${defaultFrom})`).optional(),
    to: timeParam('end of the range, exclusive (default: none)').optional(),
    limit: countParam(
      ctx.limits.maxPageSize,
      `rows per page, 1..${ctx.limits.maxPageSize} (default ${ctx.limits.defaultPageSize})`,
    ).optional(),
    cursor: z
      .string()
      .max(1024, 'at most 1024 characters')
      .describe('next_cursor of the previous page, with the same other parameters')
      .optional(),
  }
}

export function registerEventRoutes(app: ApiInstance, ctx: ApiContext): void {
  app.get(
    '/api/logs',
    {
      schema: {
        tags: ['events'],
        summary: 'Logs, newest first',
        querystring: z.strictObject({
          ...listingParams(ctx, '-1h'),
          service: listParam(NAME, 'only these services').optional(),
          level: enumListParam(LOG_LEVELS, 'only these levels').optional(),
          user_id: NAME.describe('only this user').optional(),
          q: textParam(200).describe('text the message contains (case-insensitive)').optional(),
        }),
        response: { 200: logPageSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { from, to, limit, cursor, ...filters } = request.query
      return listPage(ctx, { from, to, limit, cursor, filters }, HOUR_MS, (bounds, page) =>
        listLogs(
          ctx.db,
          bounds,
          { service: filters.service, level: filters.level, userId: filters.user_id, text: filters.q },
          page,
        ),
      )
    },
  )

  app.get(
    '/api/metrics',
    {
      schema: {
        tags: ['events'],
        summary: 'Metrics, newest first',
        querystring: z.strictObject({
          ...listingParams(ctx, '-1h'),
          service: listParam(NAME, 'only these services').optional(),
          min_cpu: numberParam('only readings with cpu at least this (percent)').optional(),
          min_latency_ms: numberParam('only readings with latency_ms at least this').optional(),
        }),
        response: { 200: metricPageSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { from, to, limit, cursor, ...filters } = request.query
      return listPage(ctx, { from, to, limit, cursor, filters }, HOUR_MS, (bounds, page) =>
        listMetrics(
          ctx.db,
          bounds,
          { service: filters.service, minCpu: filters.min_cpu, minLatencyMs: filters.min_latency_ms },
          page,
        ),
      )
    },
  )

  app.get(
    '/api/transactions',
    {
      schema: {
        tags: ['events'],
        summary: 'Transactions, newest first',
        querystring: z.strictObject({
          ...listingParams(ctx, '-1h'),
          user_id: NAME.describe('only this user').optional(),
          transaction_id: NAME.describe('only this transaction').optional(),
          currency: listParam(
            z
              .string()
              .regex(/^[A-Za-z]{3}$/, 'expected a 3-letter currency code')
              .transform((s) => s.toUpperCase()),
            'only these currencies (ISO 4217)',
          ).optional(),
          status: listParam(textParam(32), 'only these statuses').optional(),
          min_amount: numberParam('only amounts at least this').optional(),
          max_amount: numberParam('only amounts at most this').optional(),
        }),
        response: { 200: transactionPageSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { from, to, limit, cursor, ...filters } = request.query
      return listPage(ctx, { from, to, limit, cursor, filters }, HOUR_MS, (bounds, page) =>
        listTransactions(
          ctx.db,
          bounds,
          {
            userId: filters.user_id,
            transactionId: filters.transaction_id,
            currency: filters.currency,
            status: filters.status,
            minAmount: filters.min_amount,
            maxAmount: filters.max_amount,
          },
          page,
        ),
      )
    },
  )
}
