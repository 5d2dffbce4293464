// The live counters of /api/stream, computed once per interval for all clients, only while anyone
// listens: events per second by event time over a short window that ended `delayMs` ago (the etl
// stores in batches; a window ending now would always look low), and the anomalies open now.
import type { Queryable } from '../../adapters/postgres/database.ts'
import { readLiveCounts } from '../../adapters/postgres/queries/index.ts'
import type { CountersEvent } from '../../contracts/api.ts'
import type { Logger } from '../../observability/logger.ts'

export interface CountersFeedOptions {
  db: Queryable
  logger: Logger
  now: () => number
  intervalMs: number
  windowMs: number
  delayMs: number
}

export interface CountersFeed {
  subscribe(listener: (event: CountersEvent) => void): () => void
  stop(): void
}

export function createCountersFeed(options: CountersFeedOptions): CountersFeed {
  const { db, logger, now, intervalMs, windowMs, delayMs } = options
  const listeners = new Set<(event: CountersEvent) => void>()
  let timer: NodeJS.Timeout | undefined
  let running = false
  let failing = false

  async function tick() {
    if (running) return
    running = true
    try {
      const toMs = now() - delayMs
      const counts = await readLiveCounts(db, { fromMs: toMs - windowMs, toMs })
      const seconds = windowMs / 1000
      const event: CountersEvent = {
        t: new Date(toMs).toISOString(),
        window_ms: windowMs,
        per_second: {
          logs: counts.logs / seconds,
          metrics: counts.metrics / seconds,
          transactions: counts.transactions / seconds,
        },
        errors_per_second: counts.errors / seconds,
        open_anomalies: counts.openAnomalies,
      }
      for (const listener of listeners) listener(event)
      failing = false
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'stream: cannot read the live counters (retrying)')
      failing = true
    } finally {
      running = false
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      if (!timer) {
        timer = setInterval(() => void tick(), intervalMs)
        timer.unref()
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) {
          clearInterval(timer)
          timer = undefined
        }
      }
    },
    stop() {
      listeners.clear()
      clearInterval(timer)
      timer = undefined
    },
  }
}
