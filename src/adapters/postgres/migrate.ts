// Versioned migrations: migrations/NNNN_name.sql, applied in order, each recorded with its
// checksum. An applied migration is never edited: a changed checksum stops the start.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StreamwatchError } from '../../errors.ts'
import { type Logger, silentLogger } from '../../observability/logger.ts'
import type { Database } from './database.ts'

export const MIGRATIONS_DIRECTORY = fileURLToPath(new URL('./migrations/', import.meta.url))

/** Taken (per transaction) by every migrate(), so processes starting together apply each migration once. */
const MIGRATION_LOCK_KEY = 7_301_004_917_262_337

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/

/**
 * Checksums of earlier texts of a migration that differ from its file only in comments, by
 * version: a database that applied one of them is up to date, and its record takes the file's
 * checksum. Each entry says what changed; any other edit still stops the start.
 */
export const EARLIER_CHECKSUMS: ReadonlyMap<number, readonly string[]> = new Map([
  // 0001's header cited a design document kept outside the repository; it cites docs/contract.md
  [1, ['be34c26ea84bb43b635e39f2421e910846f8c20b422f41b1d1c22589effb5a63']],
])

export interface Migration {
  version: number
  name: string
  sql: string
  /** sha256 of the file's bytes, hex */
  checksum: string
}

export interface MigrateOptions {
  /** default: the migrations beside this file */
  directory?: string
  logger?: Logger
}

/** Reads NNNN_name.sql files in version order; any other .sql file name is an error, as is a gap. */
export async function loadMigrations(directory = MIGRATIONS_DIRECTORY): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort()
  const migrations: Migration[] = []
  for (const name of names) {
    const match = FILE_NAME.exec(name)
    if (!match) throw new StreamwatchError('internal', `migration ${name}: expected NNNN_name.sql`)
    const bytes = await readFile(join(directory, name))
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    })
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new StreamwatchError(
        'internal',
        `migration ${migration.version}_${migration.name}: expected version ${index + 1} (no gaps, no duplicates)`,
      )
    }
  })
  return migrations
}

/**
 * Brings the schema up to date. All pending migrations apply in one transaction under an
 * advisory transaction lock: concurrent callers wait, then find them applied; a failing migration
 * leaves the schema as it was. Refuses (config_invalid) when an applied migration's file changed
 * or the database has a migration this code does not know (it is newer than the code).
 * Migrations therefore must be transactional (no CREATE INDEX CONCURRENTLY).
 * Returns the versions it applied.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<number[]> {
  const logger = options.logger ?? silentLogger
  const migrations = await loadMigrations(options.directory)
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const { rows: applied } = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    )
    for (const row of applied) {
      const known = migrations.find((m) => m.version === row.version)
      if (!known) {
        throw new StreamwatchError(
          'config_invalid',
          `database has migration ${row.version}_${row.name}, which this version of streamwatch does not know: run a newer version`,
        )
      }
      if (known.checksum !== row.checksum && EARLIER_CHECKSUMS.get(row.version)?.includes(row.checksum)) {
        await tx.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [
          known.checksum,
          row.version,
        ])
        logger.info(
          { version: row.version, name: row.name },
          'postgres: migration record takes the comment-only edit',
        )
      } else if (known.checksum !== row.checksum) {
        throw new StreamwatchError(
          'config_invalid',
          `migration ${row.version}_${row.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}, file ${known.checksum.slice(0, 12)}): ` +
            'restore the file and add a new migration instead',
        )
      }
    }
    const done = new Set(applied.map((row) => row.version))
    const pending = migrations.filter((m) => !done.has(m.version))
    for (const migration of pending) {
      await tx.exec(migration.sql)
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ])
      logger.info({ version: migration.version, name: migration.name }, 'postgres: migration applied')
    }
    return pending.map((m) => m.version)
  })
}
