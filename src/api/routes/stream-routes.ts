// GET /api/stream: Server-Sent Events.
//   event: anomaly   id: <updated_at>   data: { change, anomaly }   new, changed, resolved, acknowledged
//   event: counters                     data: { per_second, errors_per_second, open_anomalies, ... }
//   event: reset                        data: { reason }  (missed too much: reload the list)
//   `: heartbeat` comments keep idle connections open through proxies.
// Reconnecting with Last-Event-ID (header, or ?last_event_id=) replays the anomaly changes since
// then (see anomaly-feed.ts: a few may come again). The token may be given as ?access_token=.
import { z } from 'zod'
import type { ResetEvent } from '../../contracts/api.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { ApiError, badRequest } from '../api-error.ts'
import { booleanParam } from '../params.ts'
import { type FeedChange, MICROS_ISO } from '../stream/anomaly-feed.ts'
import { type EventStream, openEventStream } from '../stream/event-stream.ts'
import { COMMON_ERRORS } from './responses.ts'

export function registerStreamRoutes(app: ApiInstance, ctx: ApiContext): { closeAll(): void } {
  const open = new Set<EventStream>()

  app.get(
    '/api/stream',
    {
      schema: {
        tags: ['live'],
        summary: 'Live anomalies and counters (Server-Sent Events)',
        description:
          'event `anomaly` (id: resume position; data: {change, anomaly}), event `counters` every ' +
          'second (events per second by topic, errors per second, anomalies open), event `reset` when ' +
          'a resume missed too much. Resume with the Last-Event-ID header or ?last_event_id=.',
        querystring: z.strictObject({
          access_token: z
            .string()
            .max(512)
            .describe('the API token, for clients that cannot set headers')
            .optional(),
          last_event_id: z
            .string()
            .max(64)
            .describe('resume after this event id (as Last-Event-ID)')
            .optional(),
          counters: booleanParam('false: anomalies only (default true)').optional(),
        }),
        produces: ['text/event-stream'],
        response: { 200: z.string().describe('text/event-stream'), ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id']
      const lastEventId = (typeof header === 'string' ? header : undefined) ?? request.query.last_event_id
      if (lastEventId !== undefined && !MICROS_ISO.test(lastEventId)) {
        throw badRequest('last-event-id: not an id this stream sent')
      }
      if (open.size >= ctx.limits.maxStreamClients) {
        throw new ApiError(503, 'unavailable', 'too many live-stream clients; retry later', {
          'retry-after': '10',
        })
      }
      await ctx.anomalyFeed.start()

      const stream = openEventStream(request, reply, {
        retryMs: ctx.stream.retryMs,
        maxBufferedBytes: ctx.stream.maxBufferedBytes,
      })
      open.add(stream)
      ctx.httpMetrics.streamClients.inc()
      const sendChange = (change: FeedChange) => stream.send('anomaly', change.event, change.at)

      // while catching up, live changes wait; those the catch-up already sent are not sent twice
      let waiting: FeedChange[] | undefined = lastEventId ? [] : undefined
      const unsubscribe = ctx.anomalyFeed.subscribe((change) => {
        if (waiting) waiting.push(change)
        else sendChange(change)
      })
      const stopCounters =
        request.query.counters === false
          ? () => {}
          : ctx.countersFeed.subscribe((event) => stream.send('counters', event))
      const heartbeat = setInterval(() => stream.comment('heartbeat'), ctx.stream.heartbeatMs)
      stream.onClose(() => {
        unsubscribe()
        stopCounters()
        clearInterval(heartbeat)
        open.delete(stream)
        ctx.httpMetrics.streamClients.dec()
      })

      if (lastEventId && waiting) {
        const sent = new Set<string>()
        try {
          const caughtUp = await ctx.anomalyFeed.catchUp(lastEventId)
          if (caughtUp === 'too_many') {
            stream.send('reset', {
              reason: 'too many changes since Last-Event-ID: reload',
            } satisfies ResetEvent)
          } else {
            for (const change of caughtUp) {
              sent.add(`${change.event.anomaly.id}@${change.at}`)
              sendChange(change)
            }
          }
        } catch (error) {
          request.log.warn({ err: error }, 'stream: catching up failed')
          stream.send('reset', {
            reason: 'could not replay the changes since Last-Event-ID: reload',
          } satisfies ResetEvent)
        }
        const pending = waiting
        waiting = undefined
        for (const change of pending)
          if (!sent.has(`${change.event.anomaly.id}@${change.at}`)) sendChange(change)
      }
    },
  )

  return {
    closeAll() {
      for (const stream of open) stream.close()
    },
  }
}
