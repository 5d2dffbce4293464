// How the consumer loop lives through a broker that is away: retriable failures are logged once
// when they change (not on every attempt) and retried after a growing pause; the others are thrown.
import type { Logger } from '../../observability/logger.ts'
import { toBusError } from './kafka-errors.ts'

const MAX_BACKOFF_MS = 5_000

export interface RetryBackoff {
  /** Throws `error` translated when a retry cannot help; else logs it if new and waits before the retry. */
  failed(action: string, error: unknown, signal: AbortSignal): Promise<void>
  /** Ends a streak of failures (and says so in the log, if there was one). */
  succeeded(): void
}

export function createRetryBackoff(options: {
  logger: Logger
  retryDelayMs: number
  /** waits `ms` or less (a wake-up, an abort) */
  wait(ms: number, signal: AbortSignal): Promise<void>
}): RetryBackoff {
  let failure: string | null = null
  let streak = 0
  return {
    async failed(action, error, signal) {
      const busError = toBusError(action, error)
      if (!busError.retriable) throw busError
      if (busError.message !== failure) {
        failure = busError.message
        options.logger.warn({ err: busError }, `${action} failed; retrying`)
      }
      streak++
      await options.wait(Math.min(MAX_BACKOFF_MS, options.retryDelayMs * 2 ** Math.min(streak, 10)), signal)
    },
    succeeded() {
      if (failure !== null) options.logger.info('kafka recovered')
      failure = null
      streak = 0
    },
  }
}
