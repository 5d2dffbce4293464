// /metrics and /healthz for the processes that serve no API (etl, lake-sink, alerter), so that
// Prometheus can scrape every part of a scaled-out deployment and an orchestrator can probe it.
// Plain node:http: two read-only routes need no framework. Off unless METRICS_PORT is set.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { StreamwatchError } from '../errors.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string
  close(): Promise<void>
}

export interface MetricsServerOptions {
  host: string
  /** 0 picks a free port */
  port: number
  metrics: Metrics
  logger: Logger
  /** the part serving it, for /healthz */
  part: string
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, logger } = options
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: 'method_not_allowed', message: 'only GET and HEAD are served' }))
      return
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ status: 'ok', part: options.part }))
      return
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType })
          response.end(text)
        },
        (error: unknown) => {
          logger.warn({ err: error }, 'metrics: collecting failed')
          response.writeHead(500, { 'content-type': 'application/json' })
          response.end(JSON.stringify({ error: 'internal', message: 'collecting the metrics failed' }))
        },
      )
      return
    }
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ error: 'not_found', message: 'served here: /metrics, /healthz' }))
  })
  // a scrape is tiny: a client that holds a connection open gets no more than this
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000
  server.listen(options.port, options.host)
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error
      }),
    ])
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new StreamwatchError(
      'config_invalid',
      `metrics: cannot listen on ${options.host}:${options.port} (${reason}); set METRICS_PORT to a free port`,
      { cause: error },
    )
  }
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${host}:${port}`
  logger.info({ url: `${url}/metrics` }, 'metrics served')
  return {
    url,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
