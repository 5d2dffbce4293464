// The Database contract, run against a real PostgreSQL server and against PGlite.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StreamwatchError } from '../../errors.ts'
import { createDatabase } from './database.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './test-database.ts'

describe.each(DATABASE_KINDS)('Database on %s', (kind) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase(kind)
    await t.db.exec(`
      CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
      CREATE TABLE kinds (i8 bigint, num numeric, ts timestamptz, doc jsonb, bytes bytea);`)
  })
  afterAll(async () => {
    await t?.destroy()
  })

  it('reports its kind', () => {
    expect(t.db.kind).toBe(kind)
  })

  it('reads values the same way on both drivers', async () => {
    const ts = new Date('2024-11-25T16:00:00.123Z')
    await t.db.query('INSERT INTO kinds VALUES ($1, $2, $3, $4::jsonb, $5)', [
      9_007_199_254_740_991,
      '12.345',
      ts,
      JSON.stringify({ a: [1, 'two'], b: null }),
      new Uint8Array([0, 1, 254, 255]),
    ])
    const { rows, rowCount } = await t.db.query('SELECT *, count(*) OVER () AS n FROM kinds')
    expect(rowCount).toBe(1)
    expect(rows[0]).toEqual({
      i8: 9_007_199_254_740_991,
      num: 12.345,
      ts,
      doc: { a: [1, 'two'], b: null },
      bytes: expect.any(Uint8Array),
      n: 1,
    })
    expect([...(rows[0]!['bytes'] as Uint8Array)]).toEqual([0, 1, 254, 255])
  })

  it('counts the rows a statement changed', async () => {
    const inserted = await t.db.query('INSERT INTO items VALUES (1, $1), (2, $1) ON CONFLICT DO NOTHING', [
      'a',
    ])
    expect(inserted.rowCount).toBe(2)
    const updated = await t.db.query('UPDATE items SET label = $1 WHERE id = 1', ['b'])
    expect(updated.rowCount).toBe(1)
    await t.db.query('DELETE FROM items')
  })

  it('commits a transaction and returns its value', async () => {
    const value = await t.db.transaction(async (tx) => {
      await tx.query('INSERT INTO items VALUES (10, $1)', ['committed'])
      return (await tx.query<{ n: number }>('SELECT count(*) AS n FROM items')).rows[0]!.n
    })
    expect(value).toBe(1)
    expect((await t.db.query('SELECT label FROM items WHERE id = 10')).rows).toEqual([{ label: 'committed' }])
    await t.db.query('DELETE FROM items')
  })

  it('rolls back everything when the callback throws, and rethrows its error unchanged', async () => {
    const failure = new Error('callback failed')
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO items VALUES (20, $1)', ['rolled back'])
        throw failure
      }),
    ).rejects.toBe(failure)
    expect((await t.db.query('SELECT * FROM items')).rows).toEqual([])
  })

  it('translates a constraint violation into a non-retriable error with the SQLSTATE, and rolls back', async () => {
    const attempt = t.db.transaction(async (tx) => {
      await tx.query('INSERT INTO items VALUES (30, $1)', ['first'])
      await tx.query('INSERT INTO items VALUES (30, $1)', ['duplicate'])
    })
    await expect(attempt).rejects.toSatisfy(
      (error) =>
        error instanceof StreamwatchError &&
        error.code === 'internal' &&
        !error.retriable &&
        error.message.includes('23505'),
    )
    expect((await t.db.query('SELECT * FROM items')).rows).toEqual([])
  })

  it('translates an SQL error outside a transaction', async () => {
    await expect(t.db.query('SELEC 1')).rejects.toMatchObject({ code: 'internal', retriable: false })
  })

  it('runs a script of several statements with exec', async () => {
    await t.db.exec(`INSERT INTO items VALUES (40, 'x'); INSERT INTO items VALUES (41, 'y');`)
    expect((await t.db.query('SELECT count(*) AS n FROM items')).rows).toEqual([{ n: 2 }])
    await t.db.query('DELETE FROM items')
  })

  it('delivers a notification once the transaction commits, and none for a rollback', async () => {
    const received: (string | null)[] = []
    const unlisten = await t.db.listen('things', (payload) => received.push(payload))
    await t.db
      .transaction(async (tx) => {
        await tx.query(`SELECT pg_notify('things', 'rolled back')`)
        throw new Error('abort')
      })
      .catch(() => {})
    await t.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('things', 'committed')`)
    })
    await expect.poll(() => received, { timeout: 5000 }).toEqual(['committed'])
    await unlisten()
    await t.db.query(`SELECT pg_notify('things', 'after unlisten')`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(received).toEqual(['committed'])
  })
})

describe('Database on pg only', () => {
  it('fails with a retriable db_unavailable when the server cannot be reached', async () => {
    const db = await createDatabase({
      url: 'postgres://postgres@127.0.0.1:1/postgres',
      connectTimeoutMs: 2000,
    })
    try {
      await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'db_unavailable', retriable: true })
      await expect(db.transaction(async () => 1)).rejects.toMatchObject({
        code: 'db_unavailable',
        retriable: true,
      })
    } finally {
      await db.close()
    }
  })

  it('cancels a statement that runs past statementTimeoutMs with a retriable db_unavailable', async () => {
    const t = await createTestDatabase('pg', { statementTimeoutMs: 200 })
    try {
      await expect(t.db.query('SELECT pg_sleep(2)')).rejects.toMatchObject({
        code: 'db_unavailable',
        retriable: true,
        message: expect.stringContaining('57014'),
      })
      expect((await t.db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    } finally {
      await t.destroy()
    }
  })

  it('listens again after the listening connection is killed, telling listeners with null', async () => {
    const t = await createTestDatabase('pg', { applicationName: 'listener-test' })
    try {
      const received: (string | null)[] = []
      await t.db.listen('things', (payload) => received.push(payload))
      const { rows } = await t.db.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      )
      expect(rows).toEqual([{ killed: true }])
      await expect.poll(() => received, { timeout: 10_000 }).toEqual([null])
      await t.db.query(`SELECT pg_notify('things', 'after reconnect')`)
      await expect.poll(() => received, { timeout: 5000 }).toEqual([null, 'after reconnect'])
    } finally {
      await t.destroy()
    }
  })

  it('turns a deadlock into a retriable db_conflict', async () => {
    const t = await createTestDatabase('pg')
    try {
      await t.db.exec('CREATE TABLE d (id int PRIMARY KEY); INSERT INTO d VALUES (1), (2);')
      let step!: () => void
      const bothLocked = new Promise<void>((resolve) => {
        let n = 0
        step = () => {
          if (++n === 2) resolve()
        }
      })
      const lockThen = (first: number, second: number) =>
        t.db.transaction(async (tx) => {
          await tx.query('SELECT * FROM d WHERE id = $1 FOR UPDATE', [first])
          step()
          await bothLocked
          await tx.query('SELECT * FROM d WHERE id = $1 FOR UPDATE', [second])
        })
      const results = await Promise.allSettled([lockThen(1, 2), lockThen(2, 1)])
      const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason)
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatchObject({ code: 'db_conflict', retriable: true })
    } finally {
      await t.destroy()
    }
  })
})

describe('Database on PGlite only', () => {
  it('keeps what was committed when its process is killed, and the next process takes over the lock', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamwatch-crash-'))
    try {
      const script = `import(${JSON.stringify(new URL('./database.ts', import.meta.url).href)}).then(async (m) => {
        const db = await m.createDatabase({ dataDir: ${JSON.stringify(dataDir)} })
        await db.exec('CREATE TABLE kept (v int); INSERT INTO kept VALUES (1);')
        await db.transaction((tx) => tx.query('INSERT INTO kept VALUES (2)'))
        console.log('committed')
        setInterval(() => {}, 1000)
      })`
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('committed')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`child exited with ${code} before committing`)))
      })
      const exited = new Promise((resolve) => child.on('exit', resolve))
      child.kill('SIGKILL')
      await exited
      const db = await createDatabase({ dataDir })
      try {
        expect((await db.query('SELECT v FROM kept ORDER BY v')).rows).toEqual([{ v: 1 }, { v: 2 }])
      } finally {
        await db.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('keeps its data across close and reopen, and refuses a second opening while open', async () => {
    const t = await createTestDatabase('pglite')
    const dataDir = t.options.dataDir!
    try {
      await t.db.exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here');`)
      await expect(createDatabase({ dataDir })).rejects.toThrow(
        /in use by this process \(lock file .*pglite\.lock/,
      )
      await t.db.close()
      const reopened = await createDatabase({ dataDir })
      try {
        expect((await reopened.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }])
      } finally {
        await reopened.close()
      }
    } finally {
      await t.destroy()
    }
  })
})
