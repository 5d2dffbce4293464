// The OpenAPI 3.1 document, generated from the route schemas (zod -> JSON Schema), at
// /openapi.json, and the interactive docs at /docs. Both are public: they describe the API and
// hold no data; the docs' Authorize button takes the token for the calls made from there.
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { ApiInstance } from './api-context.ts'

const DESCRIPTION = `Logs, metrics, transactions and anomalies stored by streamwatch; statistics and
series for dashboards; a live stream; ingest for services without a Kafka client.

Every call but /healthz needs \`Authorization: Bearer <API_TOKEN>\` (when the server has a token).
Errors are \`{ "error": code, "message": text }\`; the message names the parameter at fault.
Times are ISO 8601 (UTC without an offset), epoch milliseconds, \`now\`, or relative: \`-15m\`, \`-2h\`, \`-7d\`.
Listings are newest first, a page at a time: pass \`next_cursor\` back as \`cursor\` with the same
other parameters; pages neither skip nor repeat rows while new ones arrive.`

export async function registerOpenApi(
  app: ApiInstance,
  options: { publicUrl?: string | undefined; version: string },
) {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'streamwatch API', version: options.version, description: DESCRIPTION },
      servers: options.publicUrl ? [{ url: options.publicUrl }] : [],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'events', description: 'Stored logs, metrics and transactions' },
        { name: 'anomalies', description: 'Anomaly episodes and acknowledgements' },
        { name: 'silences', description: 'Muting notifications' },
        { name: 'statistics', description: 'Overview numbers and time series' },
        { name: 'live', description: 'Server-Sent Events' },
        { name: 'ingest', description: 'Sending events over HTTP' },
        { name: 'rules', description: 'The anomaly rules' },
        { name: 'health', description: 'Liveness, readiness and Prometheus metrics' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: ['/openapi.json'] }),
    transformObject: createJsonSchemaTransformObject({}),
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
