// For tests against the real thing: a fresh database of either kind, removed afterwards.
// pg: a new database `streamwatch_test_<random>` on the server of TEST_POSTGRES_URL (default the
// local one), created through its maintenance database; PGlite: a temporary data directory.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createDatabase, type Database, type DatabaseKind, type DatabaseOptions } from './database.ts'

export const DATABASE_KINDS: readonly DatabaseKind[] = ['pg', 'pglite']

const MAINTENANCE_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  kind: DatabaseKind
  db: Database
  /** the options `db` was made with: pass them to createDatabase for a second Database (pg) */
  options: DatabaseOptions
  /** closes `db` and drops the database / removes the directory */
  destroy(): Promise<void>
}

export async function createTestDatabase(
  kind: DatabaseKind,
  extra: Omit<DatabaseOptions, 'url' | 'dataDir'> = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamwatch-test-'))
    const options = { ...extra, dataDir }
    const db = await createDatabase(options)
    return {
      kind,
      db,
      options,
      async destroy() {
        await db.close()
        await rm(dataDir, { recursive: true, force: true })
      },
    }
  }
  const name = `streamwatch_test_${randomBytes(6).toString('hex')}`
  await withMaintenanceClient((client) => client.query(`CREATE DATABASE ${name}`))
  const url = new URL(MAINTENANCE_URL)
  url.pathname = `/${name}`
  const options = { ...extra, url: url.toString() }
  const db = await createDatabase(options)
  return {
    kind,
    db,
    options,
    async destroy() {
      await db.close()
      await withMaintenanceClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

async function withMaintenanceClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: MAINTENANCE_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
