// The dashboard: a single-page app built into a folder (web/dist) served at `/`, with index.html
// for any other GET of a non-API path that asks for HTML (the app routes in the browser).
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ApiInstance } from './api-context.ts'
import { notFound } from './api-error.ts'
import { isProtectedPath } from './auth.ts'

/** Serves `webRoot` when it holds an index.html; resolves to whether it does. */
export async function registerWebFiles(app: ApiInstance, webRoot: string | undefined): Promise<boolean> {
  if (!webRoot || !existsSync(join(webRoot, 'index.html'))) return false
  await app.register(fastifyStatic, {
    root: resolve(webRoot),
    prefix: '/',
    wildcard: true,
    schemaHide: true,
    setHeaders(reply, path) {
      // Vite names built assets by content hash: they never change; index.html always may
      reply.header(
        'cache-control',
        /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
  return true
}

export function createNotFoundHandler(serveWeb: boolean) {
  return async function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split('?', 1)[0]!
    const wantsPage =
      serveWeb &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !isProtectedPath(path) &&
      !path.startsWith('/docs') &&
      (request.headers.accept ?? '').includes('text/html')
    if (wantsPage) return reply.header('cache-control', 'no-cache').sendFile('index.html')
    throw notFound(`no route ${request.method} ${path.slice(0, 200)}`)
  }
}
