// Retrying a step whose failure a retry can help (a database or object store that is down or
// slow): exponential backoff with full jitter, until it succeeds or the signal aborts. An outage is
// logged when it starts and when it ends, not at every attempt (docs/conventions.md: log what changes).
import { setTimeout as sleep } from 'node:timers/promises'
import { isRetriable, type StreamwatchError } from '../errors.ts'
import type { Logger } from '../observability/logger.ts'

export interface RetryOptions {
  signal: AbortSignal
  logger: Logger
  /** what is being retried, for the logs: "commit batch", "store object" */
  what: string
  initialDelayMs?: number
  maxDelayMs?: number
  /** called at each failed attempt (metrics) */
  onFailure?: (error: unknown) => void
}

/**
 * Runs `step` until it succeeds. A non-retriable error is thrown at once; a retriable one is
 * retried with backoff. When the signal aborts while waiting, the last error is thrown.
 */
export async function retryWhileRetriable<T>(step: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal, logger, what } = options
  const initialDelayMs = options.initialDelayMs ?? 200
  const maxDelayMs = options.maxDelayMs ?? 10_000
  let attempt = 0
  let outageStartedAt = 0
  for (;;) {
    try {
      const result = await step()
      if (attempt > 0) {
        logger.warn(
          { what, attempts: attempt + 1, outageMs: Date.now() - outageStartedAt },
          `${what}: recovered`,
        )
      }
      return result
    } catch (error) {
      if (!isRetriable(error)) throw error
      options.onFailure?.(error)
      if (attempt === 0) {
        outageStartedAt = Date.now()
        logger.error(
          { what, code: (error as StreamwatchError).code, err: error },
          `${what}: failed, retrying until it recovers`,
        )
      }
      attempt += 1
      if (signal.aborted) throw error
      const ceilingMs = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 16))
      try {
        await sleep(Math.random() * ceilingMs, undefined, { signal })
      } catch {
        throw error
      }
    }
  }
}
