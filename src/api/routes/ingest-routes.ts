// POST /api/ingest/{logs|metrics|transactions}: how services send events without a Kafka client.
// One JSON event, a JSON array of events, or NDJSON; gzip or deflate bodies are decompressed up to
// the same cap as plain ones. Each event is cleaned as the etl cleans it and answered accepted or
// rejected with the reason; accepted ones are published to the topic (see ingest-events.ts).
// 200: all accepted; 207: some rejected; 422: all rejected (the body lists why, event by event).
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ingestResponseSchema } from '../../contracts/api.ts'
import { EVENT_TOPICS } from '../../contracts/topics.ts'
import type { ApiContext, ApiInstance } from '../api-context.ts'
import { ApiError, badRequest } from '../api-error.ts'
import { decodeBody } from '../ingest/decode-body.ts'
import { ingestEvents } from '../ingest/ingest-events.ts'
import { splitJson, splitNdjson } from '../ingest/split-body.ts'
import { enumParam } from '../params.ts'
import { COMMON_ERRORS } from './responses.ts'

const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
]
const JSON_TYPES = ['application/json']

export function registerIngestRoutes(app: ApiInstance, ctx: ApiContext): void {
  // a scope of its own: these parsers hand over the raw bytes, for this route only
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      [...JSON_TYPES, ...NDJSON_TYPES],
      { parseAs: 'buffer', bodyLimit: ctx.limits.maxIngestBytes },
      (_request, body, done) => done(null, body),
    )
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/ingest/:topic',
      {
        bodyLimit: ctx.limits.maxIngestBytes,
        schema: {
          tags: ['ingest'],
          summary: 'Send events: one JSON object, a JSON array, or NDJSON (gzip welcome)',
          description:
            `Each event is cleaned as the pipeline cleans it; accepted ones are published to the topic, ` +
            `keyed by service (logs, metrics) or user_id (transactions). 200: all accepted; 207: some ` +
            `rejected; 422: all rejected; the body says, event by event, which and why. Rejected events ` +
            `are not published. At most ${ctx.limits.maxIngestEvents} events and ` +
            `${ctx.limits.maxIngestBytes} bytes (decompressed) per request. Give each event an ` +
            `event_id to make retries safe.`,
          consumes: [...JSON_TYPES, ...NDJSON_TYPES],
          params: z.strictObject({
            topic: enumParam(EVENT_TOPICS, 'the topic the events are for'),
          }),
          querystring: z.strictObject({}),
          body: z.unknown().describe('events as the wire format of the topic (docs/contract.md)'),
          response: {
            200: ingestResponseSchema,
            207: ingestResponseSchema.describe('some events rejected'),
            422: ingestResponseSchema.describe('every event rejected'),
            413: COMMON_ERRORS[400].describe('body too large, or too many events'),
            415: COMMON_ERRORS[400].describe('content-type or content-encoding not accepted'),
            ...COMMON_ERRORS,
          },
        },
      },
      async (request, reply) => {
        if (!ctx.ingest) {
          throw new ApiError(
            503,
            'unavailable',
            'ingest is off: this process has no shared bus (set KAFKA_BROKERS, or run `streamwatch start`)',
          )
        }
        const body = await decodeBody(
          request.body as Buffer,
          request.headers['content-encoding'],
          ctx.limits.maxIngestBytes,
        )
        const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase()
        const split = NDJSON_TYPES.includes(mediaType) ? splitNdjson(body) : splitJson(body)
        if ('error' in split) throw badRequest(split.error)
        if (split.records.length > ctx.limits.maxIngestEvents) {
          throw new ApiError(
            413,
            'payload_too_large',
            `body: ${split.records.length} events, at most ${ctx.limits.maxIngestEvents} per request`,
          )
        }
        const result = await ingestEvents(ctx.ingest, request.params.topic, split.records, ctx.now())
        const status = result.rejected === 0 ? 200 : result.accepted === 0 ? 422 : 207
        return reply.code(status).send(result)
      },
    )
  })
}
