// Database over embedded PGlite (Postgres compiled to WASM), persisted in `${dataDir}/pglite` and
// guarded by `${dataDir}/pglite.lock`. One session: PGlite runs one query at a time and a
// transaction holds the whole database until it ends.
import { join } from 'node:path'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { silentLogger } from '../../observability/logger.ts'
import { acquireDataDirLock } from './data-dir-lock.ts'
import type { Database, DatabaseOptions, Queryable, QueryResult } from './database.ts'
import { translateDbError } from './translate-db-error.ts'

const INT8_OID = 20
const NUMERIC_OID = 1700
const toNumber = (value: string) => Number(value)

export async function createPgliteDatabase(
  options: DatabaseOptions & { dataDir: string },
): Promise<Database> {
  const logger = options.logger ?? silentLogger
  const directory = join(options.dataDir, 'pglite')
  const lock = await acquireDataDirLock(`${directory}.lock`)
  let pglite: PGlite
  try {
    const startedMs = Date.now()
    pglite = await PGlite.create({
      dataDir: directory,
      parsers: { [INT8_OID]: toNumber, [NUMERIC_OID]: toNumber },
    })
    logger.info({ directory, elapsedMs: Date.now() - startedMs }, 'pglite: opened')
  } catch (error) {
    await lock.release()
    throw translateDbError(error, `pglite: open ${directory}`)
  }
  const db = pglite

  return {
    kind: 'pglite',
    query: (sql, params) => runQuery(db, sql, params),
    exec: (sql) => runExec(db, sql),
    async transaction(fn) {
      try {
        return await db.transaction((tx) => fn(wrapTransaction(tx)))
      } catch (error) {
        throw translateDbError(error, 'pglite: transaction')
      }
    },
    async listen(channel, onNotify) {
      try {
        const unlisten = await db.listen(channel, (payload) => onNotify(payload))
        return async () => {
          if (!db.closed) await unlisten()
        }
      } catch (error) {
        throw translateDbError(error, 'pglite: listen')
      }
    },
    async close() {
      try {
        if (!db.closed) await db.close()
      } finally {
        await lock.release()
      }
    },
  }
}

function wrapTransaction(tx: Transaction): Queryable {
  return { query: (sql, params) => runQuery(tx, sql, params), exec: (sql) => runExec(tx, sql) }
}

async function runQuery<T>(
  target: PGlite | Transaction,
  sql: string,
  params: readonly unknown[] | undefined,
): Promise<QueryResult<T>> {
  try {
    const result = await target.query<T>(sql, params as unknown[] | undefined)
    const rowCount = result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0)
    return { rows: result.rows, rowCount }
  } catch (error) {
    throw translateDbError(error, 'pglite')
  }
}

async function runExec(target: PGlite | Transaction, sql: string): Promise<void> {
  try {
    await target.exec(sql)
  } catch (error) {
    throw translateDbError(error, 'pglite')
  }
}
