// Database over a real PostgreSQL server: a `pg` Pool for queries and transactions, and one
// dedicated connection (outside the pool) for LISTEN, reconnected with backoff when it drops.
import pg from 'pg'
import { type Logger, silentLogger } from '../../observability/logger.ts'
import type { Database, DatabaseOptions, Queryable, QueryResult } from './database.ts'
import { translateDbError } from './translate-db-error.ts'

const INT8_OID = 20
const NUMERIC_OID = 1700

/** int8 and numeric as numbers, as PGlite is configured too (see QueryResult). */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig['getTypeParser'],
}

export async function createPgDatabase(options: DatabaseOptions & { url: string }): Promise<Database> {
  const logger = options.logger ?? silentLogger
  const clientConfig: pg.ClientConfig = {
    connectionString: options.url,
    types,
    application_name: options.applicationName ?? 'streamwatch',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  }
  const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 10 })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres: idle connection lost'))

  const listener = createListener(clientConfig, logger)

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect()
    } catch (error) {
      throw translateDbError(error, 'postgres: connect')
    }
  }

  return {
    kind: 'pg',
    query: (sql, params) => runQuery(pool, sql, params),
    exec: async (sql) => {
      await runQuery(pool, sql, undefined)
    },
    async transaction(fn) {
      const client = await connect()
      let broken: Error | undefined
      // A checked-out client whose connection dies between statements emits 'error'; pg's pool
      // listens only to idle clients, so without this the process would crash on an outage.
      const onError = (error: Error) => {
        broken = error
      }
      client.on('error', onError)
      try {
        await runQuery(client, 'BEGIN', undefined)
        const result = await fn(wrapClient(client))
        await runQuery(client, 'COMMIT', undefined)
        return result
      } catch (error) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          // the connection is unusable: release destroys it instead of returning it to the pool
          broken = rollbackError as Error
        }
        throw error
      } finally {
        client.off('error', onError)
        client.release(broken)
      }
    },
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    async close() {
      await listener.close()
      await pool.end()
    },
  }
}

function wrapClient(client: pg.PoolClient): Queryable {
  return {
    query: (sql, params) => runQuery(client, sql, params),
    exec: async (sql) => {
      await runQuery(client, sql, undefined)
    },
  }
}

async function runQuery<T>(
  target: pg.Pool | pg.ClientBase,
  sql: string,
  params: readonly unknown[] | undefined,
): Promise<QueryResult<T>> {
  try {
    // Without params pg uses the simple protocol, which accepts a script of several statements.
    const result = params ? await target.query(sql, params as unknown[]) : await target.query(sql)
    // a script answers with one result per statement
    const last = Array.isArray(result) ? result[result.length - 1] : result
    return { rows: (last?.rows ?? []) as T[], rowCount: last?.rowCount ?? 0 }
  } catch (error) {
    throw translateDbError(error, 'postgres')
  }
}

type Handler = (payload: string | null) => void

/**
 * One connection for every LISTEN of this Database. When it drops, it is reopened with backoff
 * (1 s doubling to 30 s), every channel is listened to again, and every handler hears `null`.
 */
function createListener(config: pg.ClientConfig, logger: Logger) {
  const handlers = new Map<string, Set<Handler>>()
  let client: pg.Client | undefined
  let connecting: Promise<pg.Client> | undefined
  let closed = false
  let retryTimer: NodeJS.Timeout | undefined
  let retryDelayMs = 1000

  const quote = (channel: string) => `"${channel.replaceAll('"', '""')}"`

  async function open(): Promise<pg.Client> {
    const next = new pg.Client(config)
    next.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '')
    })
    next.on('error', (error) => {
      logger.warn({ err: error }, 'postgres: listening connection lost')
      dropped(next)
    })
    next.on('end', () => dropped(next))
    try {
      await next.connect()
      for (const channel of handlers.keys()) await next.query(`LISTEN ${quote(channel)}`)
    } catch (error) {
      next.removeAllListeners()
      next.on('error', () => {})
      await next.end().catch(() => {})
      throw translateDbError(error, 'postgres: listen')
    }
    client = next
    retryDelayMs = 1000
    return next
  }

  function dropped(which: pg.Client) {
    if (client !== which) return
    client = undefined
    scheduleReconnect()
  }

  function scheduleReconnect() {
    if (closed || retryTimer || handlers.size === 0) return
    retryTimer = setTimeout(async () => {
      retryTimer = undefined
      try {
        await ensureClient()
        for (const set of handlers.values()) for (const handler of set) handler(null)
        logger.info('postgres: listening again')
      } catch (error) {
        logger.warn({ err: error, retryDelayMs }, 'postgres: cannot listen yet')
        retryDelayMs = Math.min(retryDelayMs * 2, 30_000)
        scheduleReconnect()
      }
    }, retryDelayMs)
    retryTimer.unref()
  }

  async function ensureClient(): Promise<pg.Client> {
    if (client) return client
    connecting ??= open().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  return {
    async listen(channel: string, onNotify: Handler): Promise<() => Promise<void>> {
      if (closed) throw translateDbError(new Error('Cannot use a pool after calling end'), 'postgres: listen')
      const isNew = !handlers.has(channel)
      const set = handlers.get(channel) ?? new Set()
      set.add(onNotify)
      handlers.set(channel, set)
      try {
        const current = await ensureClient()
        // open() listened to every channel already known; a channel added since needs its own LISTEN
        if (isNew) await runQuery(current, `LISTEN ${quote(channel)}`, undefined)
      } catch (error) {
        set.delete(onNotify)
        if (set.size === 0) handlers.delete(channel)
        throw error
      }
      return async () => {
        set.delete(onNotify)
        if (set.size > 0 || handlers.get(channel) !== set) return
        handlers.delete(channel)
        if (client) await runQuery(client, `UNLISTEN ${quote(channel)}`, undefined).catch(() => {})
      }
    },
    async close() {
      closed = true
      clearTimeout(retryTimer)
      const current = client
      client = undefined
      await current?.end().catch(() => {})
    },
  }
}
