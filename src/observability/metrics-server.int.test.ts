// The workers' /metrics and /healthz server, over real HTTP on a free port.
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { StreamwatchError } from '../errors.ts'
import { silentLogger } from './logger.ts'
import { createMetrics } from './metrics.ts'
import { type MetricsServer, startMetricsServer } from './metrics-server.ts'

let server: MetricsServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(port = 0) {
  const metrics = createMetrics({ defaultMetrics: false })
  server = await startMetricsServer({ host: '127.0.0.1', port, metrics, logger: silentLogger, part: 'etl' })
  return { metrics, url: server.url }
}

describe('metrics server', () => {
  it("serves the process's registry in Prometheus's text format", async () => {
    const { metrics, url } = await start()
    metrics.eventsWritten.inc({ stage: 'etl', topic: 'logs' }, 42)
    const response = await fetch(`${url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    expect(await response.text()).toContain('streamwatch_events_written_total{stage="etl",topic="logs"} 42')
  })

  it('answers /healthz with the part, anything else with a 404 or 405 that says what is served', async () => {
    const { url } = await start()
    const health = await fetch(`${url}/healthz?probe=1`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', part: 'etl' })
    const missing = await fetch(`${url}/api/stats`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining('/metrics'),
    })
    const posted = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' })
    expect(posted.status).toBe(405)
    expect(posted.headers.get('allow')).toBe('GET, HEAD')
  })

  it('refuses to start on a port in use, naming the setting', async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const address = holder.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      const failure = await start(port).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(StreamwatchError)
      expect((failure as StreamwatchError).code).toBe('config_invalid')
      expect((failure as Error).message).toBe(
        `metrics: cannot listen on 127.0.0.1:${port} (EADDRINUSE); set METRICS_PORT to a free port`,
      )
    } finally {
      await new Promise((resolve) => holder.close(resolve))
    }
  })

  it('stops listening on close', async () => {
    const { url } = await start()
    await server!.close()
    server = undefined
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  })
})
