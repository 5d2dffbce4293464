// One process at a time in a PGlite data directory: two WASM Postgres instances on the same files
// would corrupt them. The lock is a file holding the owner's pid; a lock whose process is gone
// (a crash, kill -9) is stale and taken over.
import { randomUUID } from 'node:crypto'
import { link, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { StreamwatchError } from '../../errors.ts'

export interface DataDirLock {
  readonly path: string
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>
}

interface LockContent {
  pid: number
  hostname: string
  token: string
  acquiredAt: string
}

/** A takeover guard older than this was left by a process that died while taking over. */
const STALE_GUARD_MS = 10_000
const MAX_ATTEMPTS = 20

/**
 * Creates `path` atomically with our pid (a hard link of a complete temp file, so no one ever
 * reads a half-written lock). When it exists: held by a live process -> StreamwatchError naming
 * the pid; held by a dead pid on this host -> taken over (a mkdir guard makes sure only one of
 * several starting processes removes it). A lock from another host cannot be checked and is
 * refused. A pid reused by an unrelated process looks alive: the message says how to clear it.
 */
export async function acquireDataDirLock(path: string): Promise<DataDirLock> {
  await mkdir(dirname(path), { recursive: true })
  const content: LockContent = {
    pid: process.pid,
    hostname: hostname(),
    token: randomUUID(),
    acquiredAt: new Date().toISOString(),
  }
  const temp = `${path}.${process.pid}.${content.token}`
  await writeFile(temp, `${JSON.stringify(content)}\n`)
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await link(temp, path)
        return createLock(path, content.token)
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error
      }
      const holder = await readLock(path)
      if (holder === 'missing') continue
      if (holder !== 'unreadable') refuseIfHeld(path, holder)
      await takeOver(path, holder)
    }
    throw new StreamwatchError('db_unavailable', `cannot acquire ${path}: it keeps changing hands`, {
      retriable: true,
    })
  } finally {
    await unlink(temp).catch(() => {})
  }
}

function createLock(path: string, token: string): DataDirLock {
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      const holder = await readLock(path)
      if (typeof holder === 'object' && holder.token === token) await unlink(path).catch(() => {})
    },
  }
}

function refuseIfHeld(path: string, holder: LockContent): void {
  const fix = `stop it, or remove ${path} if no such process uses this directory`
  if (holder.hostname !== hostname()) {
    throw new StreamwatchError(
      'db_unavailable',
      `${dirname(path)} is locked by process ${holder.pid} on host ${holder.hostname} (lock file ${path}); ` +
        `PGlite opens a data directory from one process only: ${fix}, or set DATABASE_URL`,
    )
  }
  if (holder.pid === process.pid || isAlive(holder.pid)) {
    const who = holder.pid === process.pid ? 'this process' : `process ${holder.pid}`
    throw new StreamwatchError(
      'db_unavailable',
      `${dirname(path)} is in use by ${who} (lock file ${path}, since ${holder.acquiredAt}); ` +
        `PGlite opens a data directory from one process only: ${fix}, or set DATABASE_URL to share a PostgreSQL server`,
    )
  }
}

/** Removes a stale lock, unless another process is already doing so or it changed meanwhile. */
async function takeOver(path: string, stale: LockContent | 'unreadable'): Promise<void> {
  const guard = `${path}.takeover`
  try {
    await mkdir(guard)
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error
    const ageMs = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    )
    if (ageMs > STALE_GUARD_MS) await rmdir(guard).catch(() => {})
    else await new Promise((resolve) => setTimeout(resolve, 50))
    return
  }
  try {
    const current = await readLock(path)
    const same =
      stale === 'unreadable'
        ? current === 'unreadable'
        : typeof current === 'object' && current.token === stale.token
    if (same) await unlink(path).catch(() => {})
  } finally {
    await rmdir(guard).catch(() => {})
  }
}

async function readLock(path: string): Promise<LockContent | 'missing' | 'unreadable'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const value = JSON.parse(text) as Partial<LockContent>
    if (typeof value.pid === 'number' && typeof value.token === 'string') {
      return {
        pid: value.pid,
        token: value.token,
        hostname: String(value.hostname ?? ''),
        acquiredAt: String(value.acquiredAt ?? '?'),
      }
    }
  } catch {}
  return 'unreadable'
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return errnoOf(error) === 'EPERM'
  }
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
