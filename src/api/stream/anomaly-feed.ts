// The anomaly changes the live stream sends, read once for all clients: on each NOTIFY of the
// etl's commits (channel 'anomalies') and, as the fallback for a lost notification, every
// pollIntervalMs while anyone listens.
//
// Position and delivery: a change is stamped with updated_at, its transaction's start, so a change
// can become visible after later-stamped ones. Each poll therefore re-reads `lookbackMs` before the
// previous poll's database time (longer than any write transaction) and drops the (id, updated_at)
// pairs already delivered. The SSE id of a change is its updated_at; a client resuming with
// Last-Event-ID gets the changes since lookbackMs before it, so it may see a few again: a change
// carries the anomaly's whole state, and clients keep the newest per id (by updated_at).

import type { Database } from '../../adapters/postgres/database.ts'
import { ANOMALIES_CHANNEL } from '../../adapters/postgres/etl-store.ts'
import {
  type AnomalyChangeRow,
  readAnomalyChanges,
  readDatabaseNow,
} from '../../adapters/postgres/queries/index.ts'
import type { AnomalyChangeKind, AnomalyEvent } from '../../contracts/api.ts'
import type { Logger } from '../../observability/logger.ts'

export interface FeedChange {
  /** the SSE event id: the change's updated_at, microsecond ISO text */
  at: string
  event: AnomalyEvent
}

export interface AnomalyFeedOptions {
  db: Database
  logger: Logger
  lookbackMs: number
  pollIntervalMs: number
  /** rows per query */
  pageSize?: number
  /** a resume needing more than this many changes gets `too_many` (the client reloads instead) */
  maxCatchUp?: number
  /** a Last-Event-ID older than this gets `too_many` */
  maxResumeAgeMs?: number
}

export interface AnomalyFeed {
  /** Starts listening (once; later calls wait for the first). Rejects when the database cannot listen. */
  start(): Promise<void>
  stop(): Promise<void>
  subscribe(listener: (change: FeedChange) => void): () => void
  /** The changes from lookbackMs before `at` on, oldest first; or 'too_many'. */
  catchUp(at: string): Promise<FeedChange[] | 'too_many'>
}

export const MICROS_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

export function createAnomalyFeed(options: AnomalyFeedOptions): AnomalyFeed {
  const { db, logger, lookbackMs, pollIntervalMs } = options
  const pageSize = options.pageSize ?? 500
  const maxCatchUp = options.maxCatchUp ?? 1_000
  const maxResumeAgeMs = options.maxResumeAgeMs ?? 3_600_000
  const listeners = new Set<(change: FeedChange) => void>()
  /** anomaly id -> updated_at of the change last delivered, for changes within the lookback */
  const delivered = new Map<string, string>()
  let watermark = ''
  let starting: Promise<void> | undefined
  let unlisten: (() => Promise<void>) | undefined
  let timer: NodeJS.Timeout | undefined
  let polling = false
  let pollAgain = false
  let failing = false

  /** Calls `onRow` for each change since `since` - lookbackMs, a page at a time; stops after `limit` rows. */
  async function forEachChange(since: string, limit: number, onRow: (row: AnomalyChangeRow) => void) {
    let after: { at: string; id: string } | undefined
    let seen = 0
    for (;;) {
      const page = await readAnomalyChanges(db, {
        since,
        lookbackMs,
        after,
        limit: Math.min(pageSize, limit - seen),
      })
      for (const row of page) onRow(row)
      seen += page.length
      const last = page[page.length - 1]
      if (!last || page.length < pageSize || seen >= limit) return
      after = { at: last.at, id: last.anomaly.id }
    }
  }

  async function poll(): Promise<void> {
    if (polling) {
      pollAgain = true
      return
    }
    polling = true
    try {
      do {
        pollAgain = false
        const now = await readDatabaseNow(db)
        await forEachChange(watermark, Number.MAX_SAFE_INTEGER, (row) => {
          if (delivered.get(row.anomaly.id) === row.at) return
          delivered.set(row.anomaly.id, row.at)
          const change = toChange(row)
          for (const listener of listeners) listener(change)
        })
        watermark = now
        forgetBefore(shiftMicros(now, -lookbackMs))
      } while (pollAgain && listeners.size > 0)
      if (failing) logger.info('stream: reading anomaly changes again')
      failing = false
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'stream: cannot read anomaly changes (retrying at each poll)')
      failing = true
    } finally {
      polling = false
    }
  }

  function forgetBefore(floor: string) {
    for (const [id, at] of delivered) if (at < floor) delivered.delete(id)
  }

  async function begin(): Promise<void> {
    watermark = await readDatabaseNow(db)
    // what changed just before we started is history, not news: remember it as delivered
    await forEachChange(watermark, Number.MAX_SAFE_INTEGER, (row) => delivered.set(row.anomaly.id, row.at))
    unlisten = await db.listen(ANOMALIES_CHANNEL, () => {
      if (listeners.size > 0) void poll()
    })
    timer = setInterval(() => {
      if (listeners.size > 0) void poll()
    }, pollIntervalMs)
    timer.unref()
  }

  return {
    start() {
      starting ??= begin().catch((error: unknown) => {
        starting = undefined
        throw error
      })
      return starting
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      listeners.clear()
      const stopListening = unlisten
      unlisten = undefined
      starting = undefined
      await stopListening?.().catch(() => {})
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    async catchUp(at) {
      const now = await readDatabaseNow(db)
      if (at < shiftMicros(now, -maxResumeAgeMs)) return 'too_many'
      const changes: FeedChange[] = []
      await forEachChange(at, maxCatchUp + 1, (row) => changes.push(toChange(row)))
      return changes.length > maxCatchUp ? 'too_many' : changes
    },
  }
}

function toChange(row: AnomalyChangeRow): FeedChange {
  const { anomaly } = row
  let change: AnomalyChangeKind
  if (anomaly.status === 'resolved') change = 'resolved'
  else if (anomaly.status === 'acknowledged' && anomaly.acknowledged_at === anomaly.updated_at)
    change = 'acknowledged'
  else if (row.inserted) change = 'opened'
  else change = 'updated'
  return { at: row.at, event: { change, anomaly } }
}

/** `at` (microsecond ISO) moved by `ms`, in the same format. */
export function shiftMicros(at: string, ms: number): string {
  const micros = at.slice(23, 26)
  return `${new Date(Date.parse(at) + ms).toISOString().slice(0, 23)}${micros}Z`
}
