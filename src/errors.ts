// A few error classes with a code from a closed list, whether a retry can help, and the cause.
// Adapters translate vendor errors into these at the edge; the cores never throw for bad data.

export type ErrorCode =
  | 'config_invalid'
  | 'bus_unavailable'
  | 'bus_fenced'
  | 'db_unavailable'
  | 'db_conflict'
  | 'store_unavailable'
  | 'notify_failed'
  | 'invalid_input'
  | 'internal'

export class StreamwatchError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'StreamwatchError'
    this.code = code
    this.retriable = options.retriable ?? false
  }
}

export function isRetriable(error: unknown): boolean {
  return error instanceof StreamwatchError && error.retriable
}
