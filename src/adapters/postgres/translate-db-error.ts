// Vendor errors (pg, PGlite, Node sockets) become StreamwatchErrors at the edge, answering the one
// question callers have: can a retry help?
import { StreamwatchError } from '../../errors.ts'

/** Node socket errors that mean "the server is not reachable (right now)". */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
])

/** pg's own messages for a connection that is gone or never came. */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection (is )?closed/i,
]

/** Messages of a database that was closed by us: retrying cannot help. */
const CLOSED_MESSAGES = [/cannot use a pool after calling end/i, /pglite is closed/i]

const SQLSTATE = /^[0-9A-Z]{5}$/

/**
 * Returns a StreamwatchError for anything that came from the database or the connection to it, and
 * the error itself otherwise (a bug in a caller's callback is not a database error):
 * - connection lost/refused, server shutting down, too many connections, out of resources, a
 *   statement timeout: 'db_unavailable', retriable;
 * - serialization failure, deadlock, lock not available: 'db_conflict', retriable;
 * - everything else with an SQLSTATE (constraint, syntax, type): 'internal', not retriable.
 * The message names what was being done and the SQLSTATE; `cause` keeps the original.
 */
export function translateDbError(error: unknown, action: string): unknown {
  if (error instanceof StreamwatchError) return error
  if (!(error instanceof Error)) return error
  const code = (error as { code?: unknown }).code
  const detail = typeof code === 'string' ? `${error.message} (${code})` : error.message
  const fail = (errorCode: 'db_unavailable' | 'db_conflict' | 'internal', retriable: boolean) =>
    new StreamwatchError(errorCode, `${action}: ${detail}`, { retriable, cause: error })

  if (typeof code === 'string' && NETWORK_ERRNOS.has(code)) return fail('db_unavailable', true)
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) {
      return fail('db_unavailable', true)
    }
    if (code === '57014') return fail('db_unavailable', true) // query_canceled: statement_timeout
    if (code === '40001' || code === '40P01' || code === '55P03') return fail('db_conflict', true)
    return fail('internal', false)
  }
  if (CLOSED_MESSAGES.some((re) => re.test(error.message))) return fail('db_unavailable', false)
  if (CONNECTION_MESSAGES.some((re) => re.test(error.message))) return fail('db_unavailable', true)
  return error
}
