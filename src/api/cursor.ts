// Opaque page cursors: where the previous page ended, the range as the first page resolved it (so
// a relative `from=-15m` does not slide between pages), and a fingerprint of the filters (a cursor
// is refused with other filters than it was made for). base64url of a small JSON array; not a
// secret: tampering only moves the position, and every part is validated before it is used.
import { createHash } from 'node:crypto'
import { parseTimestampMs } from '../core/clean/index.ts'
import { badRequest } from './api-error.ts'

export interface CursorState {
  /** the last row's time, microsecond ISO text (as the queries give it) */
  at: string
  id: string
  fromMs: number
  toMs: number | null
  /** fingerprintOf(the filters) */
  filters: string
}

const VERSION = 1
const MICROS_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const MAX_ID_CHARS = 256

export function encodeCursor(state: CursorState): string {
  const json = JSON.stringify([VERSION, state.at, state.id, state.fromMs, state.toMs, state.filters])
  return Buffer.from(json, 'utf8').toString('base64url')
}

/** The cursor's state, or undefined when it is not a cursor this API made. */
export function decodeCursor(text: string): CursorState | undefined {
  if (text.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed) || parsed.length !== 6 || parsed[0] !== VERSION) return undefined
  const [, at, id, fromMs, toMs, filters] = parsed as unknown[]
  if (typeof at !== 'string' || !MICROS_ISO.test(at) || !Number.isFinite(parseTimestampMs(at)))
    return undefined
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_CHARS || !isWellFormedText(id)) {
    return undefined
  }
  if (!Number.isSafeInteger(fromMs)) return undefined
  if (toMs !== null && !Number.isSafeInteger(toMs)) return undefined
  if (typeof filters !== 'string' || !/^[0-9a-f]{16}$/.test(filters)) return undefined
  return { at, id, fromMs: fromMs as number, toMs: toMs as number | null, filters }
}

/** A stable digest of the filters of a listing (undefined entries are ignored, key order is not). */
export function fingerprintOf(filters: Record<string, unknown>): string {
  const entries = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16)
}

/** The cursor parameter for this listing: its state, or a 400 when it is malformed or foreign. */
export function readCursor(text: string | undefined, filters: string): CursorState | undefined {
  if (text === undefined) return undefined
  const state = decodeCursor(text)
  if (!state)
    throw badRequest('cursor: not a cursor this API made (pass next_cursor from a previous page as is)')
  if (state.filters !== filters) {
    throw badRequest(
      'cursor: made for other filters; keep the filters of the first page, or start without a cursor',
    )
  }
  return state
}

/** No U+0000 and no lone surrogate: PostgreSQL text cannot hold either. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000')
}
