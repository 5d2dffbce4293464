// Bearer-token auth. Data and operations (/api/*, /metrics, /readyz) need `Authorization: Bearer
// <API_TOKEN>`; /healthz, the OpenAPI document and docs UI, and the dashboard's static files do
// not: they hold no data, and a browser cannot put a header on a page load. EventSource cannot set
// headers either, so /api/stream also takes the token as `?access_token=` (kept out of the logs).
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { ApiError } from './api-error.ts'

/** Route paths that need the token; everything else (and an unmatched URL: a 404) is public. */
export function isProtectedPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/metrics' || path === '/readyz'
}

/** Paths where the token may come as `?access_token=` (an EventSource cannot send headers). */
export const QUERY_TOKEN_PATHS: ReadonlySet<string> = new Set(['/api/stream'])

export function createAuthCheck(token: string) {
  const expected = digest(token)
  return function checkAuth(request: FastifyRequest): void {
    // the matched route, not the raw URL: `/%61pi/logs` or `/api//logs` cannot slip past
    const path = request.routeOptions.url
    if (path === undefined || !isProtectedPath(path)) return
    const presented = bearerOf(request.headers.authorization) ?? queryToken(request, path)
    if (presented === undefined)
      throw unauthorized('missing bearer token (Authorization: Bearer <API_TOKEN>)')
    // compare digests, so neither the length nor the content leaks through timing
    if (!timingSafeEqual(digest(presented), expected)) throw unauthorized('invalid bearer token')
  }
}

function bearerOf(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

function queryToken(request: FastifyRequest, path: string): string | undefined {
  if (!QUERY_TOKEN_PATHS.has(path)) return undefined
  const value = (request.query as Record<string, unknown> | undefined)?.['access_token']
  return typeof value === 'string' && value !== '' ? value : undefined
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer realm="streamwatch"' })
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: addresses other machines cannot reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h)
  return false
}
