// The shape every listing shares: a range resolved once (and carried by the cursor), a keyset page,
// an opaque cursor for the next one, and the total.
import type { Keyset, PageRows, TimeBounds } from '../../adapters/postgres/queries/index.ts'
import type { Page } from '../../contracts/api.ts'
import type { ApiContext } from '../api-context.ts'
import { encodeCursor, fingerprintOf, readCursor } from '../cursor.ts'
import { resolveRange } from '../time-range.ts'

export interface ListingInput {
  from?: string | undefined
  to?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
  /** every other parameter: a cursor only continues the listing with the same ones */
  filters: Record<string, unknown>
}

export async function listPage<T>(
  ctx: ApiContext,
  input: ListingInput,
  defaultLookbackMs: number,
  read: (bounds: TimeBounds, page: { limit: number; after: Keyset | null }) => Promise<PageRows<T>>,
): Promise<Page<T>> {
  // from and to as written (`-15m` stays `-15m`) are part of what a cursor must match
  const fingerprint = fingerprintOf({ ...input.filters, from: input.from, to: input.to })
  const state = readCursor(input.cursor, fingerprint)
  const bounds: TimeBounds = state
    ? { fromMs: state.fromMs, toMs: state.toMs }
    : resolveRange(input, {
        nowMs: ctx.now(),
        defaultLookbackMs,
        maxRangeMs: ctx.limits.maxRangeMs,
        toDefaultsToNow: false,
      })
  const rows = await read(bounds, {
    limit: input.limit ?? ctx.limits.defaultPageSize,
    after: state ? { at: state.at, id: state.id } : null,
  })
  return {
    items: rows.items,
    next_cursor: rows.next
      ? encodeCursor({ ...rows.next, fromMs: bounds.fromMs, toMs: bounds.toMs, filters: fingerprint })
      : null,
    total: rows.total,
    range: {
      from: new Date(bounds.fromMs).toISOString(),
      to: bounds.toMs === null ? null : new Date(bounds.toMs).toISOString(),
    },
  }
}
