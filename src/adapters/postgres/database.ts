// One database interface over real PostgreSQL (`pg` Pool, when DATABASE_URL is set) and embedded
// PGlite (persisted in DATA_DIR, one process at a time). Everything above this file speaks only
// `Database`, so the etl, the alerter and the API run unchanged on either.
import type { Logger } from '../../observability/logger.ts'
import { createPgDatabase } from './pg-database.ts'
import { createPgliteDatabase } from './pglite-database.ts'

/**
 * Result rows come back the same from both drivers:
 * - int8 (bigint, bigserial, count(*)) and numeric as JS numbers: exact up to 2^53, which covers
 *   offsets, counts and amounts; cast to text in SQL when you need more;
 * - timestamptz as Date, json/jsonb parsed, bytea as Uint8Array (a Buffer on pg), null as null.
 * Parameters: strings, numbers, booleans, null, Date, Uint8Array, and arrays of those. Pass json
 * as a string (`JSON.stringify`) cast in SQL (`$1::jsonb`): both drivers then send it unchanged.
 */
export interface QueryResult<T> {
  rows: T[]
  /** rows returned, or rows changed by INSERT/UPDATE/DELETE */
  rowCount: number
}

export interface Queryable {
  /** One statement, parameters as $1, $2... Errors are StreamwatchErrors (see translateDbError). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>
  /** A script of statements separated by `;`, without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export type DatabaseKind = 'pg' | 'pglite'

export interface Database extends Queryable {
  readonly kind: DatabaseKind
  /**
   * Runs `fn` in one transaction (BEGIN ... COMMIT, ROLLBACK when it throws; READ COMMITTED).
   * Inside, use only `tx`: on PGlite the database is held by the transaction, so a query through
   * the Database itself would wait for it forever. A serialization failure or deadlock surfaces
   * as a retriable 'db_conflict'; retrying is the caller's choice. When COMMIT fails on a lost
   * connection the outcome is unknown: the caller must be able to tell (the etl's fencing does).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Calls `onNotify(payload)` for each NOTIFY on `channel`. A hint, not a queue: notifications
   * sent while the listening connection is down are lost, so after a reconnect every listener is
   * called once with `null` ("you may have missed some"), and listeners should also poll.
   * Resolves once listening; the returned function stops it.
   */
  listen(channel: string, onNotify: (payload: string | null) => void): Promise<() => Promise<void>>
  /** Waits for running queries, closes connections (PGlite: flushes and releases the lock file). */
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** postgres://... (DATABASE_URL). Unset: embedded PGlite in `${dataDir}/pglite`. */
  url?: string
  /** where PGlite keeps its files (DATA_DIR); required when `url` is unset */
  dataDir?: string
  logger?: Logger
  /**
   * Server-side limit on each statement (pg's statement_timeout), for API-ish processes: a slow
   * query fails with a retriable 'db_unavailable' instead of holding a connection. PGlite cannot
   * interrupt a running statement (single-threaded WASM), so there the option is ignored.
   */
  statementTimeoutMs?: number
  /** pg pool size (default 10) */
  maxConnections?: number
  /** how long to wait for a pg connection before failing with 'db_unavailable' (default 10 s) */
  connectTimeoutMs?: number
  /** shown in pg_stat_activity */
  applicationName?: string
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return createPgDatabase({ ...options, url: options.url })
  if (!options.dataDir) throw new Error('createDatabase: either url or dataDir is required')
  return createPgliteDatabase({ ...options, dataDir: options.dataDir })
}
