// The OpenAPI 3.1 document validates and covers every route, /docs serves, and the dashboard's
// built files are served at / with the single-page fallback.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import type { OpenAPIV3_1 } from 'openapi-types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase } from '../src/adapters/postgres/test-database.ts'
import type { ApiInstance } from '../src/api/api-context.ts'
import { AUTH, buildTestApp, createApiTestDatabase } from '../src/api/api-test-kit.ts'

let t: TestDatabase
let app: ApiInstance
let webRoot: string

beforeAll(async () => {
  t = await createApiTestDatabase('pg')
  webRoot = await mkdtemp(join(tmpdir(), 'streamwatch-web-'))
  await mkdir(join(webRoot, 'assets'))
  await writeFile(
    join(webRoot, 'index.html'),
    '<!doctype html><title>streamwatch</title><div id="root"></div>',
  )
  await writeFile(join(webRoot, 'assets', 'app-3f2a1b.js'), 'console.log("dashboard")')
  app = await buildTestApp(t.db, { webRoot, publicUrl: 'https://streamwatch.example.com' })
})
afterAll(async () => {
  await app?.close()
  await t?.destroy()
  await rm(webRoot, { recursive: true, force: true })
})

const ROUTES = [
  'get /api/logs',
  'get /api/metrics',
  'get /api/transactions',
  'get /api/anomalies',
  'get /api/anomalies/{id}',
  'post /api/anomalies/{id}/ack',
  'get /api/silences',
  'post /api/silences',
  'delete /api/silences/{id}',
  'get /api/stats',
  'get /api/timeseries',
  'get /api/stream',
  'post /api/ingest/{topic}',
  'get /api/rules',
  'get /healthz',
  'get /readyz',
  'get /metrics',
]

describe('OpenAPI', () => {
  let document: OpenAPIV3_1.Document

  beforeAll(async () => {
    const response = await app.inject({ url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    document = response.json()
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0')
    // validate() dereferences in place: give it a copy
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined()
  })

  it('documents every route, and only those', () => {
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((k) => ['get', 'post', 'delete', 'put', 'patch'].includes(k))
        .map((method) => `${method} ${path}`),
    )
    expect(documented.sort()).toEqual([...ROUTES].sort())
  })

  it('describes parameters, bodies, responses and the security scheme', () => {
    const logs = document.paths!['/api/logs']!.get!
    const params = (logs.parameters ?? []) as OpenAPIV3_1.ParameterObject[]
    expect(params.map((p) => p.name).sort()).toEqual([
      'cursor',
      'from',
      'level',
      'limit',
      'q',
      'service',
      'to',
      'user_id',
    ])
    expect(
      params.every((p) => p.in === 'query' && typeof p.description === 'string' && p.description.length > 0),
    ).toBe(true)
    expect(Object.keys(logs.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '429', '503']),
    )
    const ack = document.paths!['/api/anomalies/{id}/ack']!.post!
    expect(ack.requestBody).toBeDefined()
    const ingest = document.paths!['/api/ingest/{topic}']!.post!
    expect(Object.keys((ingest.requestBody as OpenAPIV3_1.RequestBodyObject).content)).toEqual(
      expect.arrayContaining(['application/json', 'application/x-ndjson']),
    )
    expect(document.components?.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } })
    expect(document.security).toEqual([{ bearer: [] }])
    expect(document.paths!['/healthz']!.get!.security).toEqual([])
    expect(document.servers).toEqual([{ url: 'https://streamwatch.example.com' }])
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Error', 'Log', 'Anomaly', 'Stats', 'Timeseries', 'IngestResponse']),
    )
  })

  it('serves interactive docs at /docs', async () => {
    const response = await app.inject({ url: '/docs/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/html')
    expect(response.body).toContain('swagger')
  })
})

describe('the dashboard files', () => {
  it('serves index.html at / and assets with long caching', async () => {
    const index = await app.inject({ url: '/' })
    expect(index.statusCode).toBe(200)
    expect(index.body).toContain('<div id="root">')
    expect(index.headers['cache-control']).toBe('no-cache')
    const asset = await app.inject({ url: '/assets/app-3f2a1b.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('answers a page route with index.html, and an API path or a non-page request with a 404', async () => {
    const page = await app.inject({ url: '/anomalies/an-1?tab=events', headers: { accept: 'text/html,*/*' } })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('<div id="root">')
    const api = await app.inject({ url: '/api/nope', headers: { ...AUTH, accept: 'text/html' } })
    expect(api.statusCode).toBe(404)
    expect(api.json()).toEqual({ error: 'not_found', message: 'no route GET /api/nope' })
    const missing = await app.inject({ url: '/assets/missing.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error).toBe('not_found')
  })

  it('serves nothing at / without a built dashboard', async () => {
    const bare = await buildTestApp(t.db, { webRoot: join(webRoot, 'does-not-exist') })
    try {
      const response = await bare.inject({ url: '/', headers: { accept: 'text/html' } })
      expect(response.statusCode).toBe(404)
    } finally {
      await bare.close()
    }
  })
})
