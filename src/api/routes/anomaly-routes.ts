// GET /api/anomalies, GET /api/anomalies/:id (with the key's events around the episode), and
// POST /api/anomalies/:id/ack.
import { z } from 'zod'
import {
  acknowledgeAnomaly,
  type EventCondition,
  getAnomaly,
  listAnomalies,
  readEventsAround,
} from '../../adapters/postgres/queries/index.ts'
import {
  ANOMALY_STATUSES,
  anomalyDetailSchema,
  anomalyPageSchema,
  anomalySchema,
  SEVERITIES,
} from '../../contracts/api.ts'
import { EVENT_TOPICS, type EventTopic, isEventTopic } from '../../contracts/topics.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { notFound } from '../api-error.ts'
import { booleanParam, countParam, enumListParam, listParam, NAME, textParam } from '../params.ts'
import { listingParams } from './event-routes.ts'
import { listPage } from './list-page.ts'
import { COMMON_ERRORS, NOT_FOUND } from './responses.ts'

const DAY_MS = 86_400_000
/** events shown before the first and after the last sighting, when the rule has no window */
const DEFAULT_CONTEXT_MS = 60_000

const idParams = z.strictObject({ id: textParam(200).describe('the anomaly id') })

export function registerAnomalyRoutes(app: ApiInstance, ctx: ApiContext): void {
  app.get(
    '/api/anomalies',
    {
      schema: {
        tags: ['anomalies'],
        summary: 'Anomaly episodes active in the range, newest first_seen first',
        description:
          'An episode is in the range when it began before `to` and was not resolved before `from` ' +
          '(open and acknowledged episodes are active until now).',
        querystring: z.strictObject({
          ...listingParams(ctx, '-24h'),
          rule: listParam(NAME, 'only these rules').optional(),
          status: enumListParam(ANOMALY_STATUSES, 'only these statuses').optional(),
          severity: enumListParam(SEVERITIES, 'only these severities').optional(),
          topic: enumListParam(EVENT_TOPICS, 'only anomalies about events of these topics').optional(),
          key: NAME.describe('only this key (a service, user or transaction)').optional(),
        }),
        response: { 200: anomalyPageSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { from, to, limit, cursor, ...filters } = request.query
      return listPage(ctx, { from, to, limit, cursor, filters }, DAY_MS, (bounds, page) =>
        listAnomalies(ctx.db, bounds, filters, page),
      )
    },
  )

  app.get(
    '/api/anomalies/:id',
    {
      schema: {
        tags: ['anomalies'],
        summary: "One anomaly and its key's events around the episode",
        params: idParams,
        querystring: z.strictObject({
          events_limit: countParam(
            ctx.limits.maxAnomalyEvents,
            `events returned, 1..${ctx.limits.maxAnomalyEvents} (default 200)`,
          ).optional(),
          matching: booleanParam(
            "true: only the events the rule's filter selects (default false)",
          ).optional(),
        }),
        response: { 200: anomalyDetailSchema, ...NOT_FOUND, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const anomaly = await getAnomaly(ctx.db, request.params.id)
      if (!anomaly) throw notFound(`id: no anomaly ${JSON.stringify(request.params.id)}`)
      const rule = ctx.rules.find((r) => r.name === anomaly.rule && r.topic === anomaly.topic)
      const contextMs = anomaly.window_ms ?? DEFAULT_CONTEXT_MS
      const fromMs = Date.parse(anomaly.first_seen) - contextMs
      const toMs = Date.parse(anomaly.last_seen) + contextMs
      const window = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }
      if (!isEventTopic(anomaly.topic)) {
        return { anomaly, events: [], events_window: window, events_truncated: false }
      }
      const topic: EventTopic = anomaly.topic
      const { events, truncated } = await readEventsAround(ctx.db, {
        topic,
        // a rule no longer configured: the key may be any of the topic's key columns
        keyColumns: rule
          ? [rule.keyBy]
          : topic === 'transactions'
            ? ['user_id', 'transaction_id']
            : ['service'],
        key: anomaly.key,
        fromMs,
        toMs,
        conditions: request.query.matching && rule?.filter ? (rule.filter as readonly EventCondition[]) : [],
        limit: request.query.events_limit ?? 200,
      })
      return { anomaly, events, events_window: window, events_truncated: truncated }
    },
  )

  app.post(
    '/api/anomalies/:id/ack',
    {
      schema: {
        tags: ['anomalies'],
        summary: 'Acknowledge an anomaly: who is on it, and a note',
        description:
          'An open episode becomes `acknowledged` (notifications about it stop until it resolves); a ' +
          'resolved one stays resolved, with the acknowledgement kept. Acknowledging again replaces it.',
        params: idParams,
        body: z.strictObject({
          by: textParam(200).describe('who acknowledges'),
          note: textParam(2000).describe('why, or what is being done').optional(),
        }),
        response: { 200: anomalySchema, ...NOT_FOUND, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const anomaly = await acknowledgeAnomaly(ctx.db, request.params.id, {
        by: request.body.by,
        note: request.body.note ?? null,
      })
      if (!anomaly) throw notFound(`id: no anomaly ${JSON.stringify(request.params.id)}`)
      request.log.info({ anomaly: anomaly.id, by: request.body.by }, 'anomaly acknowledged')
      return anomaly
    },
  )
}
