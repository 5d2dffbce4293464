// The API's own metrics, on the process's registry (served at /metrics with everything else):
// requests by route and status, their latency, live-stream clients, and the anomalies open now.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Queryable } from '../adapters/postgres/database.ts'
import type { ApiInstance } from './api-context.ts'

export interface HttpMetrics {
  streamClients: Gauge
}

/** A metric already on the registry (a second app in one process) is reused, not registered twice. */
function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}

export function registerHttpMetrics(app: ApiInstance, registry: Registry, db: Queryable): HttpMetrics {
  const registers = [registry]
  const requests =
    existing<Counter<'method' | 'route' | 'status'>>(registry, 'streamwatch_http_requests_total') ??
    new Counter({
      name: 'streamwatch_http_requests_total',
      help: 'HTTP requests answered, by route (the pattern, not the URL) and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
  const duration =
    existing<Histogram<'method' | 'route'>>(registry, 'streamwatch_http_request_duration_seconds') ??
    new Histogram({
      name: 'streamwatch_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (a live stream counts until its headers are sent)',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
  const streamClients =
    existing<Gauge>(registry, 'streamwatch_stream_clients') ??
    new Gauge({ name: 'streamwatch_stream_clients', help: 'Clients connected to /api/stream', registers })
  if (!existing(registry, 'streamwatch_open_anomalies')) {
    new Gauge({
      name: 'streamwatch_open_anomalies',
      help: 'Anomaly episodes open or acknowledged now, by rule (read from PostgreSQL at each scrape)',
      labelNames: ['rule'],
      registers,
      async collect() {
        try {
          const { rows } = await db.query<{ rule: string; n: number }>(
            `SELECT rule, count(*)::bigint AS n FROM anomalies WHERE status IN ('open', 'acknowledged') GROUP BY rule`,
          )
          this.reset()
          for (const row of rows) this.set({ rule: row.rule }, row.n)
        } catch {
          // the scrape goes on without it; /readyz says why the database is not answering
        }
      },
    })
  }

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route }
    requests.inc({ ...labels, status: String(reply.statusCode) })
    duration.observe(labels, reply.elapsedTime / 1000)
  })
  return { streamClients }
}
