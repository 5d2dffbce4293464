// Migrations against a real PostgreSQL server and PGlite: applied once, in order, checked.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from './database.ts'
import { EARLIER_CHECKSUMS, loadMigrations, MIGRATIONS_DIRECTORY, migrate } from './migrate.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './test-database.ts'

const CONTRACT_TABLES = ['anomalies', 'dead_letters', 'logs', 'metrics', 'transactions']
const INTERNAL_TABLES = [
  'consumer_offsets',
  'detector_state',
  'event_rollups',
  'notification_gates',
  'schema_migrations',
  'silences',
]

/** A version after every real migration, for the migrations a test adds. */
const NEXT = (await loadMigrations()).length + 1
const nextFile = (name: string) => `${String(NEXT).padStart(4, '0')}_${name}.sql`

async function tableNames(t: TestDatabase): Promise<string[]> {
  const { rows } = await t.db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  )
  return rows.map((r) => r.name)
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'streamwatch-migrations-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** A copy of the real migrations plus/with changes, in a fresh directory. */
async function migrationsWith(name: string, files: Record<string, string>): Promise<string> {
  const directory = join(scratch, name)
  await cp(MIGRATIONS_DIRECTORY, directory, { recursive: true })
  for (const [file, sql] of Object.entries(files)) await writeFile(join(directory, file), sql)
  return directory
}

describe.each(DATABASE_KINDS)('migrate on %s', (kind) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase(kind)
  })
  afterAll(async () => {
    await t?.destroy()
  })
  afterEach(async () => {
    // each test starts from an empty schema
    await t.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;')
  })

  it('applies every migration once, records its checksum, and is a no-op the second time', async () => {
    const migrations = await loadMigrations()
    expect(await migrate(t.db)).toEqual(migrations.map((m) => m.version))
    expect(await tableNames(t)).toEqual([...CONTRACT_TABLES, ...INTERNAL_TABLES].sort())
    const { rows } = await t.db.query(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    )
    expect(rows).toEqual(migrations.map(({ version, name, checksum }) => ({ version, name, checksum })))

    expect(await migrate(t.db)).toEqual([])
    expect((await t.db.query('SELECT count(*) AS n FROM schema_migrations')).rows).toEqual([
      { n: migrations.length },
    ])
  })

  it('applies only the new migrations of a later version', async () => {
    await migrate(t.db)
    const directory = await migrationsWith(`later-${kind}`, {
      [nextFile('add_note')]: 'ALTER TABLE logs ADD COLUMN note text;',
    })
    expect(await migrate(t.db, { directory })).toEqual([NEXT])
    const { rows } = await t.db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'note'`,
    )
    expect(rows).toHaveLength(1)
  })

  it('refuses to start when an applied migration was edited', async () => {
    await migrate(t.db)
    const original = await readFile(join(MIGRATIONS_DIRECTORY, '0001_init.sql'), 'utf8')
    const directory = await migrationsWith(`edited-${kind}`, {
      '0001_init.sql': original.replace('CREATE TABLE silences', '-- edited\nCREATE TABLE silences'),
    })
    await expect(migrate(t.db, { directory })).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/migration 1_init was changed after it was applied/),
    })
  })

  it('takes a database that applied an earlier text of a migration that differs only in comments', async () => {
    await migrate(t.db)
    const [earlier] = EARLIER_CHECKSUMS.get(1)!
    await t.db.query('UPDATE schema_migrations SET checksum = $1 WHERE version = 1', [earlier])
    expect(await migrate(t.db)).toEqual([])
    const { rows } = await t.db.query<{ checksum: string }>(
      'SELECT checksum FROM schema_migrations WHERE version = 1',
    )
    const migrations = await loadMigrations()
    expect(rows).toEqual([{ checksum: migrations[0]!.checksum }])
    expect(migrations[0]!.checksum).not.toBe(earlier)
  })

  it('refuses to start when the database knows a migration the code does not', async () => {
    const directory = await migrationsWith(`newer-${kind}`, { [nextFile('newer')]: 'SELECT 1;' })
    await migrate(t.db, { directory })
    await expect(migrate(t.db)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining(`database has migration ${NEXT}_newer`),
    })
  })

  it('leaves the schema untouched when a pending migration fails', async () => {
    const directory = await migrationsWith(`failing-${kind}`, {
      [nextFile('broken')]:
        'ALTER TABLE logs ADD COLUMN fine text; ALTER TABLE no_such_table ADD COLUMN x int;',
    })
    await expect(migrate(t.db, { directory })).rejects.toMatchObject({ code: 'internal' })
    expect(await tableNames(t)).toEqual([])
  })
})

describe('migrate on pg from two processes at once', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase('pg')
  })
  afterAll(async () => {
    await t?.destroy()
  })

  it('applies each migration exactly once', async () => {
    const others = await Promise.all([1, 2, 3].map(() => createDatabase(t.options)))
    try {
      const results = await Promise.all([t.db, ...others].map((db) => migrate(db)))
      const migrations = await loadMigrations()
      expect(results.flat().sort()).toEqual(migrations.map((m) => m.version))
      expect(results.filter((r) => r.length > 0)).toHaveLength(1)
      expect((await t.db.query('SELECT count(*) AS n FROM schema_migrations')).rows).toEqual([
        { n: migrations.length },
      ])
    } finally {
      await Promise.all(others.map((db) => db.close()))
    }
  })
})
