// The edge where @platformatic/kafka errors become StreamwatchErrors. The client tags its errors
// (and the errors nested in a MultipleErrors / ResponseError, one per attempt or failed item) with
// `canRetry`, and protocol errors with their Kafka `apiId`; we read those instead of messages.
import { TimeoutError } from '@platformatic/kafka'
import { StreamwatchError } from '../../errors.ts'

/** Kafka protocol error ids (`apiId`) that mean "this member or producer has been replaced". */
const FENCED_API_IDS = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
  'FENCED_MEMBER_EPOCH',
  'STALE_MEMBER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
])

/** Whether `error` or an error nested in it (MultipleErrors.errors) satisfies `test`. */
function someError(error: unknown, test: (e: Record<string, unknown>) => boolean, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return false
  if (test(error as Record<string, unknown>)) return true
  const nested = (error as { errors?: unknown }).errors
  return Array.isArray(nested) && nested.some((inner) => someError(inner, test, depth + 1))
}

/**
 * A retry can help unless some error in the chain says it cannot (a bad request, a record too
 * large, auth, a misuse of the client). The client marks its request timeouts as not retriable,
 * for its own loop; to a pipeline a timed-out broker is one to try again later.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  return !someError(error, (e) => e['canRetry'] === false && !(e instanceof TimeoutError))
}

/** Whether the Kafka protocol error `apiId` (e.g. `TOPIC_ALREADY_EXISTS`) is anywhere in the chain. */
export function hasKafkaApiId(error: unknown, apiId: string): boolean {
  return someError(error, (e) => e['apiId'] === apiId)
}

/** A short description of the innermost errors, for messages and logs (the full chain stays in `cause`). */
export function describeKafkaError(error: unknown): string {
  const seen: string[] = []
  const visit = (e: unknown, depth: number): void => {
    if (depth > 4 || seen.length >= 3) return
    const nested = (e as { errors?: unknown[] } | null)?.errors
    if (Array.isArray(nested) && nested.length > 0) {
      for (const inner of nested) visit(inner, depth + 1)
      return
    }
    const err = e as { apiId?: string; message?: string } | null
    const text = err?.apiId ? `${err.apiId}: ${err.message ?? ''}` : String(err?.message ?? e)
    if (!seen.includes(text)) seen.push(text)
  }
  visit(error, 0)
  return seen.join('; ')
}

/**
 * Translates a client error raised while doing `action` (e.g. "publish to logs"). Group
 * membership and producer fencing become `bus_fenced` (not retriable: the work belongs to someone
 * else now); everything else is `bus_unavailable`, retriable when the client says a retry can help.
 */
export function toBusError(action: string, error: unknown): StreamwatchError {
  if (error instanceof StreamwatchError) return error
  const message = `kafka: ${action} failed: ${describeKafkaError(error)}`
  for (const apiId of FENCED_API_IDS) {
    if (hasKafkaApiId(error, apiId)) return new StreamwatchError('bus_fenced', message, { cause: error })
  }
  return new StreamwatchError('bus_unavailable', message, {
    retriable: isRetriableKafkaError(error),
    cause: error,
  })
}
